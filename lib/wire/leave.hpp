// Leave bodies, RFC 6940 §6.4.2.2.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ids.hpp"

namespace p2psip::wire {

struct leave_req {
  node_id leaving_peer_id;
  std::vector<std::uint8_t> overlay_specific_data;  // opaque<0..2^16-1>; CHORD: ChordLeaveData
  friend bool operator==(const leave_req&, const leave_req&) = default;
};

// "LeaveAns is an empty message": decoding rejects any byte in the body.
struct leave_ans {
  friend bool operator==(const leave_ans&, const leave_ans&) = default;
};

void encode(byte_writer& w, const leave_req& v);
void decode(byte_reader& r, leave_req& v);
void encode(byte_writer& w, const leave_ans& v);
void decode(byte_reader& r, leave_ans& v);

}  // namespace p2psip::wire
