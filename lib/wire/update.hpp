// Update bodies, RFC 6940 §6.4.2.3.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::wire {

// "Completely overlay specific": the whole message body is the topology
// plug-in's structure (CHORD: ChordUpdate), with no generic framing, so
// decoding takes every remaining byte.
struct update_req {
  std::vector<std::uint8_t> overlay_specific_data;
  friend bool operator==(const update_req&, const update_req&) = default;
};

// "Expected to be either success or an error": empty on the wire, and
// decoding rejects any byte in the body.
struct update_ans {
  friend bool operator==(const update_ans&, const update_ans&) = default;
};

void encode(byte_writer& w, const update_req& v);
void decode(byte_reader& r, update_req& v);
void encode(byte_writer& w, const update_ans& v);
void decode(byte_reader& r, update_ans& v);

}  // namespace p2psip::wire
