// Why STUN or TURN input was refused, and the result type every parser in
// this layer returns: malformed input is a value, never an exception.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "wire/basic_result.hpp"

namespace p2psip::nat {

enum class stun_errc : std::uint8_t {
  truncated = 1,          // input ended inside a header or a value
  not_stun,               // top two bits set or no magic cookie (RFC 5389 §6)
  bad_length,             // message length not a multiple of 4, or not the input's size
  attribute_past_end,     // an attribute's value or padding runs past the message
  bad_attribute,          // an attribute's value has the wrong size or content
  fingerprint_not_last,   // FINGERPRINT followed by another attribute (§15.5)
  fingerprint_mismatch,   // CRC-32 differs: the bytes are not STUN (§7.3)
  not_channel_data,       // channel number outside 0x4000-0x7FFF (RFC 5766 §11.4)
};

const char* to_string(stun_errc code) noexcept;

struct stun_error {
  stun_errc code{};
  std::size_t offset = 0;  // byte offset in the message (0 from attribute readers)

  // e.g. "attribute_past_end at byte 28"
  std::string describe() const;
  friend bool operator==(const stun_error& a, const stun_error& b) { return a.code == b.code; }
};

template <class T>
using result = wire::basic_result<T, stun_error>;

}  // namespace p2psip::nat
