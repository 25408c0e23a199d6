#include "identity/digest.hpp"

#include "identity/openssl_handles.hpp"

namespace p2psip::identity {

const EVP_MD* evp_digest(wire::hash_algorithm algorithm) noexcept {
  switch (algorithm) {
    case wire::hash_algorithm::sha1: return EVP_sha1();
    case wire::hash_algorithm::sha224: return EVP_sha224();
    case wire::hash_algorithm::sha256: return EVP_sha256();
    case wire::hash_algorithm::sha384: return EVP_sha384();
    case wire::hash_algorithm::sha512: return EVP_sha512();
    default: return nullptr;
  }
}

result<std::vector<std::uint8_t>> digest(wire::hash_algorithm algorithm,
                                         std::initializer_list<byte_span> parts) {
  const EVP_MD* md = evp_digest(algorithm);
  if (md == nullptr) {
    return identity_error{identity_errc::unsupported_algorithm,
                          "hash algorithm " + std::to_string(static_cast<int>(algorithm))};
  }
  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return openssl_error(identity_errc::crypto_failure, "digest init");
  }
  for (const auto part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) {
      return openssl_error(identity_errc::crypto_failure, "digest update");
    }
  }
  std::vector<std::uint8_t> out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), nullptr) != 1) {
    return openssl_error(identity_errc::crypto_failure, "digest final");
  }
  return out;
}

}  // namespace p2psip::identity
