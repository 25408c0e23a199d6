// Join bodies, RFC 6940 §6.4.2.1.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ids.hpp"

namespace p2psip::wire {

struct join_req {
  node_id joining_peer_id;
  std::vector<std::uint8_t> overlay_specific_data;  // opaque<0..2^16-1>
  friend bool operator==(const join_req&, const join_req&) = default;
};

struct join_ans {
  std::vector<std::uint8_t> overlay_specific_data;  // opaque<0..2^16-1>
  friend bool operator==(const join_ans&, const join_ans&) = default;
};

void encode(byte_writer& w, const join_req& v);
void decode(byte_reader& r, join_req& v);
void encode(byte_writer& w, const join_ans& v);
void decode(byte_reader& r, join_ans& v);

}  // namespace p2psip::wire
