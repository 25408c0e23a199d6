#include "wire/ping.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const ping_req& v) {
  w.opaque(2, 0, 0xffff, v.padding, "PingReq.padding");
}

void decode(byte_reader& r, ping_req& v) {
  const auto padding = r.opaque(2, 0, 0xffff, "PingReq.padding");
  v.padding.assign(padding.begin(), padding.end());
}

void encode(byte_writer& w, const ping_ans& v) {
  w.u64(v.response_id);
  w.u64(v.time);
}

void decode(byte_reader& r, ping_ans& v) {
  v.response_id = r.u64("PingAns.response_id");
  v.time = r.u64("PingAns.time");
}

}  // namespace p2psip::wire
