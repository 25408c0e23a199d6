// ErrorResponse, the body of a message with code 0xffff, RFC 6940 §6.3.3.1.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec_error.hpp"

namespace p2psip::wire {

struct error_response {
  // Any non-zero code decodes: unassigned and reserved values are kept as
  // their raw number (the enum holds every uint16).
  reload_error_code error_code = reload_error_code::invalid_message;
  std::vector<std::uint8_t> error_info;  // usually UTF-8 text
  friend bool operator==(const error_response&, const error_response&) = default;
};

void encode(byte_writer& w, const error_response& v);
void decode(byte_reader& r, error_response& v);

// An ErrorResponse carrying `info` as its (UTF-8) error_info.
error_response make_error_response(reload_error_code code, std::string_view info);

// The answer to a message that failed to decode: the RELOAD code for the
// failure, with its description as error_info.
error_response to_error_response(const codec_error& error);

}  // namespace p2psip::wire
