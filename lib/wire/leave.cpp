#include "wire/leave.hpp"

#include "wire/codec.hpp"

#include "wire/join.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const leave_req& v) {
  encode(w, v.leaving_peer_id);
  w.opaque(2, 0, 0xffff, v.overlay_specific_data, "LeaveReq.overlay_specific_data");
}

void decode(byte_reader& r, leave_req& v) {
  v.leaving_peer_id = decode_node_id(r, "LeaveReq.leaving_peer_id");
  const auto data = r.opaque(2, 0, 0xffff, "LeaveReq.overlay_specific_data");
  v.overlay_specific_data.assign(data.begin(), data.end());
}

void encode(byte_writer&, const leave_ans&) {}

void decode(byte_reader& r, leave_ans&) { r.expect_end("LeaveAns"); }

}  // namespace p2psip::wire
