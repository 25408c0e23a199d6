#include "wire/join.hpp"

#include "wire/codec.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const join_req& v) {
  encode(w, v.joining_peer_id);
  w.opaque(2, 0, 0xffff, v.overlay_specific_data, "JoinReq.overlay_specific_data");
}

void decode(byte_reader& r, join_req& v) {
  v.joining_peer_id = decode_node_id(r, "JoinReq.joining_peer_id");
  const auto data = r.opaque(2, 0, 0xffff, "JoinReq.overlay_specific_data");
  v.overlay_specific_data.assign(data.begin(), data.end());
}

void encode(byte_writer& w, const join_ans& v) {
  w.opaque(2, 0, 0xffff, v.overlay_specific_data, "JoinAns.overlay_specific_data");
}

void decode(byte_reader& r, join_ans& v) {
  const auto data = r.opaque(2, 0, 0xffff, "JoinAns.overlay_specific_data");
  v.overlay_specific_data.assign(data.begin(), data.end());
}

}  // namespace p2psip::wire
