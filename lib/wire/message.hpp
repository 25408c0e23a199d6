// A whole RELOAD message, RFC 6940 §6.3: ForwardingHeader, MessageContents
// and SecurityBlock, concatenated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec_error.hpp"
#include "wire/forwarding_header.hpp"
#include "wire/message_contents.hpp"
#include "wire/security_block.hpp"

namespace p2psip::wire {

struct message {
  forwarding_header header;
  message_contents contents;
  security_block security;
  friend bool operator==(const message&, const message&) = default;
};

// Writes the encoded size into the length field, whatever header.length holds.
void encode(byte_writer& w, const message& v);
// header.length must span exactly the header, contents and security block.
void decode(byte_reader& r, message& v);

// Decodes a buffer holding exactly one message. A buffer or length field over
// max_message_size fails with message_too_large before any list is parsed.
result<message> decode_message(bytes_view bytes, std::size_t max_message_size);

// What a peer that only forwards needs: the header, and the contents and
// security block as untouched bytes. `payload` points into the decoded buffer.
struct forwarded_message {
  forwarding_header header;
  bytes_view payload;
};

// Checks the same framing and size limit as decode_message, but parses
// nothing after the header.
result<forwarded_message> decode_forwarding_part(bytes_view bytes, std::size_t max_message_size);

// A message with a new header (TTL, via list, destination list changed) in
// front of the original payload; the length field is recomputed.
result<std::vector<std::uint8_t>> encode_forwarded(const forwarding_header& header,
                                                   bytes_view payload);

}  // namespace p2psip::wire
