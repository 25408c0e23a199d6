// One offline message as stored in the SIP-INBOX Kind (sip_inbox.hpp): the
// DataValue of a dictionary entry. Big-endian, RFC 6940 presentation style:
//
//   struct {
//     uint8  version;                  // 1
//     uint64 sent_ms;                  // when the sender's daemon stored it
//     opaque from<0..2^16-1>;          // From URI (UTF-8)
//     opaque to<0..2^16-1>;            // the recipient's AOR
//     opaque content_type<0..2^8-1>;   // MIME type of body
//     opaque message_id<0..2^8-1>;     // the MESSAGE's Call-ID
//     opaque body<0..2^24-1>;
//   } InboxMessage;
//
// The decoder is strict (no trailing bytes, known version) and fuzzed
// (tests/fuzz/fuzz_inbox_message.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::usage {

inline constexpr std::uint8_t inbox_message_version = 1;

struct inbox_message {
  std::uint64_t sent_ms = 0;
  std::string from;
  std::string to;
  std::string content_type;
  std::string message_id;
  std::string body;
  friend bool operator==(const inbox_message&, const inbox_message&) = default;
};

void encode(wire::byte_writer& w, const inbox_message& m);
void decode(wire::byte_reader& r, inbox_message& m);

}  // namespace p2psip::usage
