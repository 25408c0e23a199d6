// Codec errors and the result type every decoder returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "wire/basic_result.hpp"

namespace p2psip::wire {

// RELOAD error codes, RFC 6940 §14.9.
enum class reload_error_code : std::uint16_t {
  invalid = 0x0,
  forbidden = 0x2,
  not_found = 0x3,
  request_timeout = 0x4,
  generation_counter_too_low = 0x5,
  incompatible_with_overlay = 0x6,
  unsupported_forwarding_option = 0x7,
  data_too_large = 0x8,
  data_too_old = 0x9,
  ttl_exceeded = 0xa,
  message_too_large = 0xb,
  unknown_kind = 0xc,
  unknown_extension = 0xd,
  response_too_large = 0xe,
  config_too_old = 0xf,
  config_too_new = 0x10,
  in_progress = 0x11,
  exp_a = 0x12,
  exp_b = 0x13,
  invalid_message = 0x14,
};

const char* to_string(reload_error_code code) noexcept;

// Why a decode or encode failed. Each class of malformed input has its own
// value so tests can tell them apart; to_reload_error() maps them onto the wire.
enum class codec_errc : std::uint8_t {
  truncated = 1,         // input ended inside a field
  length_past_end,       // a length prefix points beyond its enclosing buffer
  length_out_of_range,   // a length exceeds the field's declared maximum
  unknown_type,          // an enum/select value the RFC says to reject
  invalid_value,         // a value outside its allowed set (e.g. Boolean 2)
  trailing_bytes,        // bytes left after a complete structure
  bad_token,             // relo_token != 0xd2454c4f
  unsupported_version,   // version != 0x0a
  message_too_large,     // message exceeds the configured maximum
  too_long_to_encode,    // encoder: a value does not fit its length prefix
};

const char* to_string(codec_errc code) noexcept;

reload_error_code to_reload_error(codec_errc code) noexcept;

struct codec_error {
  codec_errc code{};
  const char* field = "";     // static string naming the field that failed
  std::size_t offset = 0;     // byte offset in the outermost buffer

  // Human-readable, e.g. "length_past_end at byte 12 (via_list)".
  std::string describe() const;
  friend bool operator==(const codec_error& a, const codec_error& b) {
    return a.code == b.code;
  }
};

// A value or a codec_error: the API never throws for malformed input.
template <class T>
using result = basic_result<T, codec_error>;

}  // namespace p2psip::wire
