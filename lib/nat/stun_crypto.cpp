#include "nat/stun_crypto.hpp"

#include <boost/crc.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace p2psip::nat {

sha1_digest hmac_sha1(bytes_view key, bytes_view data) {
  sha1_digest out{};
  unsigned int size = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
       &size);
  return out;
}

md5_digest long_term_key(std::string_view username, std::string_view realm,
                         std::string_view password) {
  std::string input;
  input.reserve(username.size() + realm.size() + password.size() + 2);
  input.append(username).append(":").append(realm).append(":").append(password);
  md5_digest out{};
  EVP_Digest(input.data(), input.size(), out.data(), nullptr, EVP_md5(), nullptr);
  return out;
}

std::uint32_t crc32(bytes_view data) noexcept {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

std::string base64(bytes_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                      static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace p2psip::nat
