// CHORD-RELOAD's overlay-specific contents, RFC 6940 §10.7-10.9, and their
// packing into the generic Update, RouteQuery and Leave bodies.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec_error.hpp"
#include "wire/ids.hpp"
#include "wire/leave.hpp"
#include "wire/route_query.hpp"
#include "wire/update.hpp"

namespace p2psip::wire {

enum class chord_update_type : std::uint8_t {
  invalid = 0,
  peer_ready = 1,
  neighbors = 2,
  full = 3
};

struct chord_peer_ready {
  friend bool operator==(const chord_peer_ready&, const chord_peer_ready&) = default;
};

struct chord_neighbors {
  std::vector<node_id> predecessors;  // <0..2^16-1> bytes
  std::vector<node_id> successors;    // <0..2^16-1> bytes
  friend bool operator==(const chord_neighbors&, const chord_neighbors&) = default;
};

// On the wire a full update is the neighbors update followed by the fingers.
struct chord_full {
  chord_neighbors neighbors;
  std::vector<node_id> fingers;  // ascending, <0..2^16-1> bytes
  friend bool operator==(const chord_full&, const chord_full&) = default;
};

// The select is not extensible: an unknown type is rejected.
struct chord_update {
  std::uint32_t uptime = 0;  // seconds
  std::variant<chord_peer_ready, chord_neighbors, chord_full> contents;
  friend bool operator==(const chord_update&, const chord_update&) = default;
};

struct chord_route_query_ans {
  node_id next_peer;
  friend bool operator==(const chord_route_query_ans&, const chord_route_query_ans&) = default;
};

enum class chord_leave_type : std::uint8_t { invalid = 0, from_succ = 1, from_pred = 2 };

struct chord_leave_from_succ {
  std::vector<node_id> successors;  // the leaving peer's, <0..2^16-1> bytes
  friend bool operator==(const chord_leave_from_succ&, const chord_leave_from_succ&) = default;
};

struct chord_leave_from_pred {
  std::vector<node_id> predecessors;  // the leaving peer's, <0..2^16-1> bytes
  friend bool operator==(const chord_leave_from_pred&, const chord_leave_from_pred&) = default;
};

struct chord_leave_data {
  std::variant<chord_leave_from_succ, chord_leave_from_pred> value;
  friend bool operator==(const chord_leave_data&, const chord_leave_data&) = default;
};

void encode(byte_writer& w, const chord_update& v);
void decode(byte_reader& r, chord_update& v);
void encode(byte_writer& w, const chord_route_query_ans& v);
void decode(byte_reader& r, chord_route_query_ans& v);
void encode(byte_writer& w, const chord_leave_data& v);
void decode(byte_reader& r, chord_leave_data& v);

// Packing fails only where encoding does (a list past its 2^16-1 bytes);
// unpacking is strict like from_bytes (trailing bytes are an error).
result<update_req> to_update_req(const chord_update& update);
result<chord_update> chord_update_of(const update_req& req);

result<route_query_ans> to_route_query_ans(const chord_route_query_ans& ans);
result<chord_route_query_ans> chord_route_query_ans_of(const route_query_ans& ans);

result<leave_req> to_leave_req(const node_id& leaving_peer_id, const chord_leave_data& data);
result<chord_leave_data> chord_leave_data_of(const leave_req& req);

}  // namespace p2psip::wire
