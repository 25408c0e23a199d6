// MessageContents and MessageExtension, RFC 6940 §6.3.3.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/message_code.hpp"

namespace p2psip::wire {

// No extension types are defined beyond exp-ext (§14.14), so every extension
// is carried raw; the receiver decides on `critical` (Error_Unknown_Extension).
struct message_extension {
  std::uint16_t type = 1;  // MessageExtensionType; 0 is invalid
  bool critical = false;
  std::vector<std::uint8_t> contents;  // extension_contents<0..2^32-1>
  friend bool operator==(const message_extension&, const message_extension&) = default;
};

struct message_contents {
  // Any non-zero code decodes, assigned or not, so that the node can answer
  // an unknown request with an error instead of dropping it.
  message_code code = message_code::ping_req;
  // message_body<0..2^32-1>, undecoded: its structure depends on `code` and
  // is parsed by the body codecs.
  std::vector<std::uint8_t> body;
  std::vector<message_extension> extensions;
  friend bool operator==(const message_contents&, const message_contents&) = default;
};

void encode(byte_writer& w, const message_extension& v);
void decode(byte_reader& r, message_extension& v);
void encode(byte_writer& w, const message_contents& v);
void decode(byte_reader& r, message_contents& v);

}  // namespace p2psip::wire
