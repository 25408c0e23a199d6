// A node's (or CA's) private key: ECDSA P-256 by default, RSA-2048 for interop.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "identity/identity_error.hpp"
#include "identity/openssl_handles.hpp"
#include "wire/security_block.hpp"

namespace p2psip::identity {

enum class key_algorithm { ecdsa_p256, rsa_2048 };

const char* to_string(key_algorithm algorithm) noexcept;

// The SignatureAndHashAlgorithm this layer signs with for a key: always SHA-256.
wire::signature_and_hash_algorithm signature_algorithm_for(key_algorithm algorithm) noexcept;

// The type of an EVP_PKEY we accept (EC P-256 or RSA of at least 2048 bits).
result<key_algorithm> classify_key(const EVP_PKEY* key);

// DER SubjectPublicKeyInfo of any public key: the §11.3.1 Node-ID input.
result<std::vector<std::uint8_t>> public_key_der(const EVP_PKEY* key);

// The uncompressed point of a named-curve P-256 key, read as a key parameter:
// OpenSSL 3.0's encoder (i2d_PUBKEY) costs hundreds of µs a call, paid for
// every self-signed certificate minted or checked. Empty for other keys.
std::vector<std::uint8_t> p256_public_point(const EVP_PKEY* key);

// A secret from which a node re-creates keys it need not store (derive()).
using key_seed = std::array<std::uint8_t, 32>;

class key_pair {
 public:
  static result<key_pair> generate(key_algorithm algorithm = key_algorithm::ecdsa_p256);
  // The P-256 key that `seed` gives for `label`: the same pair every time, so
  // a registrar keeps one 32-byte seed instead of a key per user it signs for.
  // The scalar is HMAC-SHA256(seed, label, counter), the first in [1, n-1].
  static result<key_pair> derive(const key_seed& seed, std::string_view label);
  static result<key_seed> generate_seed();
  // Unencrypted PKCS#8 PEM, as save() writes it.
  static result<key_pair> from_pem(std::string_view pem);
  // Refuses a file its group or others can access (see read_secret_file).
  static result<key_pair> load(const std::filesystem::path& path);

  result<std::string> to_pem() const;
  // Atomically, mode 0600.
  status save(const std::filesystem::path& path) const;

  key_algorithm algorithm() const noexcept { return algorithm_; }
  // Shared, read-only use by OpenSSL calls; the key_pair keeps ownership.
  EVP_PKEY* native() const noexcept { return key_.get(); }
  result<std::vector<std::uint8_t>> public_key_der() const;

 private:
  key_pair(evp_pkey_ptr key, key_algorithm algorithm) noexcept
      : key_(std::move(key)), algorithm_(algorithm) {}

  evp_pkey_ptr key_;
  key_algorithm algorithm_;
};

}  // namespace p2psip::identity
