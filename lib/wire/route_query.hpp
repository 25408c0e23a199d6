// RouteQuery bodies, RFC 6940 §6.4.2.4.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/destination.hpp"

namespace p2psip::wire {

struct route_query_req {
  bool send_update = false;  // ask the responder for an Update with its routing table
  wire::destination destination;
  std::vector<std::uint8_t> overlay_specific_data;  // opaque<0..2^16-1>; empty for CHORD
  friend bool operator==(const route_query_req&, const route_query_req&) = default;
};

// "Completely overlay specific" (CHORD: ChordRouteQueryAns): the whole body,
// so decoding takes every remaining byte.
struct route_query_ans {
  std::vector<std::uint8_t> overlay_specific_data;
  friend bool operator==(const route_query_ans&, const route_query_ans&) = default;
};

void encode(byte_writer& w, const route_query_req& v);
void decode(byte_reader& r, route_query_req& v);
void encode(byte_writer& w, const route_query_ans& v);
void decode(byte_reader& r, route_query_ans& v);

}  // namespace p2psip::wire
