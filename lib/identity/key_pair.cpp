#include "identity/key_pair.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <iterator>
#include <string_view>

#include "identity/atomic_file.hpp"

namespace p2psip::identity {
namespace {

// A PEM private key is a few KiB at most; anything larger is not one.
constexpr std::size_t max_key_file_bytes = 64 * 1024;
constexpr int min_rsa_bits = 2048;

}  // namespace

const char* to_string(key_algorithm algorithm) noexcept {
  return algorithm == key_algorithm::rsa_2048 ? "rsa-2048" : "ecdsa-p256";
}

wire::signature_and_hash_algorithm signature_algorithm_for(key_algorithm algorithm) noexcept {
  return {wire::hash_algorithm::sha256, algorithm == key_algorithm::rsa_2048
                                            ? wire::signature_algorithm::rsa
                                            : wire::signature_algorithm::ecdsa};
}

result<key_algorithm> classify_key(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < min_rsa_bits) {
      return identity_error{identity_errc::unsupported_key, "RSA key shorter than 2048 bits"};
    }
    return key_algorithm::rsa_2048;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       nullptr) == 1 &&
        std::string_view(group) == "prime256v1") {
      return key_algorithm::ecdsa_p256;
    }
    return identity_error{identity_errc::unsupported_key, "EC key not on curve P-256"};
  }
  return identity_error{identity_errc::unsupported_key, "neither an EC nor an RSA key"};
}

namespace {

// SubjectPublicKeyInfo { id-ecPublicKey, namedCurve prime256v1 } up to the
// BIT STRING's contents: an uncompressed P-256 point follows.
constexpr std::uint8_t p256_spki_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                             0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                             0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
constexpr std::size_t p256_point_bytes = 65;

}  // namespace

std::vector<std::uint8_t> p256_public_point(const EVP_PKEY* key) {
  char text[32] = {};
  if (!EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, text, sizeof text, nullptr) !=
          1 ||
      std::string_view(text) != "prime256v1") {
    return {};
  }
  // What i2d_PUBKEY writes for explicit curve parameters or another point
  // format differs: those keys take the encoder's path.
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, text, sizeof text,
                                     nullptr) == 1 &&
      std::string_view(text) != OSSL_PKEY_EC_ENCODING_GROUP) {
    return {};
  }
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, text,
                                     sizeof text, nullptr) == 1 &&
      std::string_view(text) != OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) {
    return {};
  }
  std::vector<std::uint8_t> point(p256_point_bytes);
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                      point.size(), &length) != 1 ||
      length != p256_point_bytes || point[0] != 0x04) {
    return {};
  }
  return point;
}

result<std::vector<std::uint8_t>> public_key_der(const EVP_PKEY* key) {
  if (auto point = p256_public_point(key); !point.empty()) {
    std::vector<std::uint8_t> der(std::begin(p256_spki_prefix), std::end(p256_spki_prefix));
    der.insert(der.end(), point.begin(), point.end());
    return der;
  }
  const int len = i2d_PUBKEY(key, nullptr);
  if (len <= 0) return openssl_error(identity_errc::crypto_failure, "cannot encode public key");
  std::vector<std::uint8_t> der(static_cast<std::size_t>(len));
  unsigned char* out = der.data();
  if (i2d_PUBKEY(key, &out) != len) {
    return openssl_error(identity_errc::crypto_failure, "cannot encode public key");
  }
  return der;
}

result<key_pair> key_pair::generate(key_algorithm algorithm) {
  evp_pkey_ptr key(algorithm == key_algorithm::rsa_2048
                       ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return openssl_error(identity_errc::crypto_failure, "key generation failed");
  return key_pair(std::move(key), algorithm);
}

result<key_pair> key_pair::from_pem(std::string_view pem) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error(identity_errc::crypto_failure, "out of memory");
  evp_pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return openssl_error(identity_errc::malformed_key, "not a PEM private key");
  auto algorithm = classify_key(key.get());
  if (!algorithm) return algorithm.error();
  return key_pair(std::move(key), *algorithm);
}

result<key_pair> key_pair::load(const std::filesystem::path& path) {
  auto pem = read_secret_file(path, max_key_file_bytes);
  if (!pem) return pem.error();
  auto key = from_pem(*pem);
  if (!key) return identity_error{key.error().code, path.string() + ": " + key.error().detail};
  return key;
}

result<std::string> key_pair::to_pem() const {
  bio_ptr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return openssl_error(identity_errc::crypto_failure, "cannot encode private key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<std::size_t>(len));
  return pem;
}

status key_pair::save(const std::filesystem::path& path) const {
  auto pem = to_pem();
  if (!pem) return pem.error();
  auto written = write_file_atomically(path, *pem, secret_file_mode);
  OPENSSL_cleanse(pem->data(), pem->size());
  return written;
}

result<std::vector<std::uint8_t>> key_pair::public_key_der() const {
  return identity::public_key_der(key_.get());
}

}  // namespace p2psip::identity
