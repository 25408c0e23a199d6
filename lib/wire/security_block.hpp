// SecurityBlock and its parts, RFC 6940 §6.3.4. Algorithm numbers are the TLS
// 1.2 registries' (RFC 5246 §7.4.1.4.1).
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::wire {

enum class hash_algorithm : std::uint8_t {
  none = 0, md5 = 1, sha1 = 2, sha224 = 3, sha256 = 4, sha384 = 5, sha512 = 6,
};
enum class signature_algorithm : std::uint8_t { anonymous = 0, rsa = 1, dsa = 2, ecdsa = 3 };

struct signature_and_hash_algorithm {
  hash_algorithm hash = hash_algorithm::sha256;
  signature_algorithm signature = signature_algorithm::ecdsa;
  friend bool operator==(const signature_and_hash_algorithm&,
                         const signature_and_hash_algorithm&) = default;
};

enum class signer_identity_type : std::uint8_t {
  invalid = 0, cert_hash = 1, cert_hash_node_id = 2, none = 3,
};

// For cert_hash/cert_hash_node_id: hash_alg + hash. For none: empty. Other
// types "may be extended": their raw value is kept in `hash`, so the
// structure can be skipped and re-encoded. Types without a hash_alg ignore it
// on encode and decode it as the default (sha256).
struct signer_identity {
  std::uint8_t type = static_cast<std::uint8_t>(signer_identity_type::cert_hash);
  hash_algorithm hash_alg = hash_algorithm::sha256;
  std::vector<std::uint8_t> hash;
  friend bool operator==(const signer_identity&, const signer_identity&) = default;
};

struct signature {
  signature_and_hash_algorithm algorithm;
  signer_identity identity;
  std::vector<std::uint8_t> value;  // opaque signature_value<0..2^16-1>
  friend bool operator==(const signature&, const signature&) = default;
};

enum class certificate_type : std::uint8_t { x509 = 0, openpgp = 1 };  // RFC 6091

struct generic_certificate {
  std::uint8_t type = static_cast<std::uint8_t>(certificate_type::x509);
  std::vector<std::uint8_t> certificate;  // DER for X.509
  friend bool operator==(const generic_certificate&, const generic_certificate&) = default;
};

struct security_block {
  std::vector<generic_certificate> certificates;
  wire::signature signature;
  friend bool operator==(const security_block&, const security_block&) = default;
};

void encode(byte_writer& w, const signature_and_hash_algorithm& v);
void decode(byte_reader& r, signature_and_hash_algorithm& v);
void encode(byte_writer& w, const signer_identity& v);
void decode(byte_reader& r, signer_identity& v);
void encode(byte_writer& w, const signature& v);
void decode(byte_reader& r, signature& v);
void encode(byte_writer& w, const generic_certificate& v);
void decode(byte_reader& r, generic_certificate& v);
void encode(byte_writer& w, const security_block& v);
void decode(byte_reader& r, security_block& v);

}  // namespace p2psip::wire
