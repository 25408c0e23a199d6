#include "identity/key_pair.hpp"

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

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

namespace {

// A private scalar in [1, n-1] from the seed; nullptr when OpenSSL fails.
secret_bignum_ptr derive_scalar(const key_seed& seed, std::string_view label, const BIGNUM* order) {
  // Each counter value gives an independent candidate; one out of range
  // happens with probability about 2^-32, so a few tries always suffice.
  for (std::uint8_t counter = 0; counter < 16; ++counter) {
    std::vector<unsigned char> input(label.begin(), label.end());
    input.push_back(0);
    input.push_back(counter);
    unsigned char digest[32];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), seed.data(), static_cast<int>(seed.size()), input.data(), input.size(),
             digest, &length) == nullptr ||
        length != sizeof digest) {
      return nullptr;
    }
    secret_bignum_ptr scalar(BN_secure_new());
    const bool read = scalar && BN_bin2bn(digest, sizeof digest, scalar.get()) != nullptr;
    OPENSSL_cleanse(digest, sizeof digest);
    if (!read) return nullptr;
    if (!BN_is_zero(scalar.get()) && BN_cmp(scalar.get(), order) < 0) return scalar;
  }
  return nullptr;
}

}  // namespace

result<key_seed> key_pair::generate_seed() {
  key_seed seed{};
  if (RAND_priv_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return openssl_error(identity_errc::crypto_failure, "no random bytes for a key seed");
  }
  return seed;
}

result<key_pair> key_pair::derive(const key_seed& seed, std::string_view label) {
  const auto failed = [] {
    return openssl_error(identity_errc::crypto_failure, "key derivation failed");
  };
  ec_group_ptr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  bn_ctx_ptr bn_ctx(BN_CTX_new());
  if (!group || !bn_ctx) return failed();
  auto scalar = derive_scalar(seed, label, EC_GROUP_get0_order(group.get()));
  if (!scalar) return failed();
  ec_point_ptr point(EC_POINT_new(group.get()));
  unsigned char encoded[p256_point_bytes];
  if (!point ||
      EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, encoded,
                         sizeof encoded, bn_ctx.get()) != sizeof encoded) {
    return failed();
  }
  param_bld_ptr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded,
                                       sizeof encoded) != 1) {
    return failed();
  }
  params_ptr params(OSSL_PARAM_BLD_to_param(builder.get()));
  evp_pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* made = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &made, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return failed();
  }
  return key_pair(evp_pkey_ptr(made), key_algorithm::ecdsa_p256);
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
