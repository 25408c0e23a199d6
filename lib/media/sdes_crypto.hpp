// SDES keys for SRTP (RFC 4568): the value of one a=crypto attribute, parsed
// and formatted, and fresh master keys. Between daemons the keys travel in
// TLS-protected signalling, which is what RFC 4568 §8.3 asks of SDES.
//
// What the parser takes (RFC 4568 §9.1 syntax, nothing looser):
// - suites AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 (§6.2); any
//   other is unsupported_suite, so an offer listing several keeps the others;
// - one inline key: exactly 40 base64 characters for the 30-byte key||salt;
// - a lifetime ("|2^31" or "|1000") is checked and ignored: libsrtp2 stops
//   at the suite's own 2^48 limit and a call rekeys by re-offer long before;
// - an MKI ("|1:4"), several keys (";"), and any session parameter are
//   unsupported_key_params, except those starting with '-', which §6.3.7 lets
//   a receiver ignore.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "media/media_error.hpp"

namespace p2psip::media {

enum class srtp_suite : std::uint8_t { aes_cm_128_hmac_sha1_80, aes_cm_128_hmac_sha1_32 };

// "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32".
const char* to_string(srtp_suite suite) noexcept;

// The master key and salt of an AES_CM_128 suite, concatenated (RFC 3711
// §8.2: 128-bit key, 112-bit salt). Wiped when destroyed.
class srtp_master_key {
 public:
  static constexpr std::size_t size = 30;
  using bytes_type = std::array<std::uint8_t, size>;

  explicit srtp_master_key(const bytes_type& bytes) noexcept : bytes_(bytes) {}
  srtp_master_key(const srtp_master_key&) = default;
  srtp_master_key& operator=(const srtp_master_key&) = default;
  ~srtp_master_key();

  // From OpenSSL's RAND_bytes; throws std::runtime_error when it has no
  // randomness to give (a key made without it must never be used).
  static srtp_master_key generate();

  std::span<const std::uint8_t, size> bytes() const noexcept { return bytes_; }
  friend bool operator==(const srtp_master_key&, const srtp_master_key&) = default;

 private:
  bytes_type bytes_;
};

// One a=crypto line's worth: tag, suite, key.
struct sdes_crypto {
  std::uint32_t tag = 1;  // 1 to 999999999 (nine digits)
  srtp_suite suite = srtp_suite::aes_cm_128_hmac_sha1_80;
  srtp_master_key key;
  friend bool operator==(const sdes_crypto&, const sdes_crypto&) = default;
};

// The attribute's value, after "a=crypto:", e.g.
// "1 AES_CM_128_HMAC_SHA1_80 inline:<40 base64 chars>|2^31". Never throws.
result<sdes_crypto> parse_sdes_crypto(std::string_view value);

// "1 AES_CM_128_HMAC_SHA1_80 inline:<base64 key||salt>", the value only.
std::string format_sdes_crypto(const sdes_crypto& crypto);

// Tag and suite given, key fresh from generate().
sdes_crypto fresh_sdes_crypto(std::uint32_t tag = 1,
                              srtp_suite suite = srtp_suite::aes_cm_128_hmac_sha1_80);

}  // namespace p2psip::media
