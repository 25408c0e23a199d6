#include "wire/update.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const update_req& v) { w.fixed(v.overlay_specific_data); }

void decode(byte_reader& r, update_req& v) {
  const auto data = r.fixed(r.remaining(), "UpdateReq");
  v.overlay_specific_data.assign(data.begin(), data.end());
}

void encode(byte_writer&, const update_ans&) {}

void decode(byte_reader& r, update_ans&) { r.expect_end("UpdateAns"); }

}  // namespace p2psip::wire
