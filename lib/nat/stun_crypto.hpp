// The digests STUN and TURN REST credentials use, on OpenSSL and Boost.CRC.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "nat/byte_order.hpp"

namespace p2psip::nat {

using sha1_digest = std::array<std::uint8_t, 20>;
using md5_digest = std::array<std::uint8_t, 16>;

sha1_digest hmac_sha1(bytes_view key, bytes_view data);

// The long-term key, MD5(username ":" realm ":" password) (RFC 5389 §15.4).
// SASLprep is not applied: the strings are used as the bytes given, which is
// what SASLprep leaves of ASCII (and of TURN REST credentials, always ASCII).
md5_digest long_term_key(std::string_view username, std::string_view realm,
                         std::string_view password);

// CRC-32 (ISO HDLC, as zlib's) of the bytes.
std::uint32_t crc32(bytes_view data) noexcept;

std::string base64(bytes_view data);

inline bytes_view text_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace p2psip::nat
