// One-shot message digests over concatenated parts, named by the TLS
// HashAlgorithm registry values that RELOAD uses (§6.3.4, §11.3.1).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include <openssl/evp.h>

#include "identity/identity_error.hpp"
#include "wire/security_block.hpp"

namespace p2psip::identity {

using byte_span = std::span<const std::uint8_t>;

// The OpenSSL digest for a HashAlgorithm; nullptr for none/md5/unknown, which
// RELOAD identities never need.
const EVP_MD* evp_digest(wire::hash_algorithm algorithm) noexcept;

// H(parts[0] || parts[1] || ...).
result<std::vector<std::uint8_t>> digest(wire::hash_algorithm algorithm,
                                         std::initializer_list<byte_span> parts);

}  // namespace p2psip::identity
