#include "wire/route_query.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const route_query_req& v) {
  w.boolean(v.send_update);
  encode(w, v.destination);
  w.opaque(2, 0, 0xffff, v.overlay_specific_data, "RouteQueryReq.overlay_specific_data");
}

void decode(byte_reader& r, route_query_req& v) {
  v.send_update = r.boolean("RouteQueryReq.send_update");
  decode(r, v.destination);
  const auto data = r.opaque(2, 0, 0xffff, "RouteQueryReq.overlay_specific_data");
  v.overlay_specific_data.assign(data.begin(), data.end());
}

void encode(byte_writer& w, const route_query_ans& v) { w.fixed(v.overlay_specific_data); }

void decode(byte_reader& r, route_query_ans& v) {
  const auto data = r.fixed(r.remaining(), "RouteQueryAns");
  v.overlay_specific_data.assign(data.begin(), data.end());
}

}  // namespace p2psip::wire
