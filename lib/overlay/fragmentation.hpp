// Splitting a message into RELOAD fragments, RFC 6940 §6.7: every fragment
// carries a full copy of the forwarding header and one chunk of the bytes
// after it; the receiver puts them back together (fragment_reassembler).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/basic_result.hpp"
#include "wire/byte_reader.hpp"
#include "wire/forwarding_header.hpp"

namespace p2psip::overlay {

// §6.7: fragments stay this far under the next link's limit so that later
// hops can grow the Via List before they must fragment again.
inline constexpr std::size_t fragment_headroom = 32;
// §6.7: every fragment carries at least this much of the message body.
inline constexpr std::size_t min_fragment_body = 256;

enum class fragmentation_error : std::uint8_t {
  // The header, the headroom and 256 bytes of body per fragment do not fit
  // the link limit. §6.7: RELOAD does not fragment then; send the message
  // whole and let IP fragment it.
  link_too_small = 1,
  // A chunk would start beyond the 24-bit fragment offset.
  offset_out_of_range,
  // The header cannot be encoded (a list longer than its length field).
  encode_failed,
};

const char* to_string(fragmentation_error error) noexcept;

using fragments = std::vector<std::vector<std::uint8_t>>;

// Encodes `header` followed by `payload` (the bytes after the forwarding
// header) for a link that carries at most `link_limit` bytes per message.
//
// A message that fits the link is returned whole, as one element. Otherwise
// the payload is cut into the fewest chunks that keep every fragment within
// link_limit - fragment_headroom, their sizes differing by at most one byte;
// each fragment is a full copy of `header` with its length field set to the
// fragment's size and its fragment field holding the chunk's offset, the
// last bit on the final chunk only.
//
// `header` may itself describe a fragment (a hop refragmenting what it
// forwards): offsets then count from that fragment's offset, and the last
// bit is set only if `header` had it.
wire::basic_result<fragments, fragmentation_error> fragment_message(
    const wire::forwarding_header& header, wire::bytes_view payload, std::size_t link_limit);

}  // namespace p2psip::overlay
