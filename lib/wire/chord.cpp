#include "wire/chord.hpp"

#include <utility>

#include "wire/codec.hpp"
#include "wire/join.hpp"

namespace p2psip::wire {

namespace {

struct update_encoder {
  byte_writer& w;
  void operator()(const chord_peer_ready&) const {
    w.u8(static_cast<std::uint8_t>(chord_update_type::peer_ready));
  }
  void operator()(const chord_neighbors& v) const {
    w.u8(static_cast<std::uint8_t>(chord_update_type::neighbors));
    lists(v);
  }
  void operator()(const chord_full& v) const {
    w.u8(static_cast<std::uint8_t>(chord_update_type::full));
    lists(v.neighbors);
    encode_node_id_list(w, v.fingers, "ChordUpdate.fingers");
  }
  void lists(const chord_neighbors& v) const {
    encode_node_id_list(w, v.predecessors, "ChordUpdate.predecessors");
    encode_node_id_list(w, v.successors, "ChordUpdate.successors");
  }
};

void decode_neighbors(byte_reader& r, chord_neighbors& v) {
  decode_node_id_list(r, v.predecessors, "ChordUpdate.predecessors");
  decode_node_id_list(r, v.successors, "ChordUpdate.successors");
}

// Encodes `contents` and hands the bytes to `wrap`, which builds the generic
// body. No CHORD structure can outgrow a generic field: with 16-byte NodeIds a
// full list is 65520 bytes, so a ChordLeaveData fits LeaveReq's 2^16-1.
template <class Contents, class Wrap>
auto pack(const Contents& contents, Wrap wrap)
    -> result<decltype(wrap(std::vector<std::uint8_t>{}))> {
  auto bytes = to_bytes(contents);
  if (!bytes) return bytes.error();
  return wrap(std::move(*bytes));
}

}  // namespace

void encode(byte_writer& w, const chord_update& v) {
  w.u32(v.uptime);
  std::visit(update_encoder{w}, v.contents);
}

void decode(byte_reader& r, chord_update& v) {
  v.uptime = r.u32("ChordUpdate.uptime");
  const std::uint8_t type = r.u8("ChordUpdate.type");
  if (!r.ok()) return;
  switch (static_cast<chord_update_type>(type)) {
    case chord_update_type::peer_ready: v.contents = chord_peer_ready{}; return;
    case chord_update_type::neighbors:
      decode_neighbors(r, v.contents.emplace<chord_neighbors>());
      return;
    case chord_update_type::full: {
      auto& full = v.contents.emplace<chord_full>();
      decode_neighbors(r, full.neighbors);
      decode_node_id_list(r, full.fingers, "ChordUpdate.fingers");
      return;
    }
    case chord_update_type::invalid: break;
  }
  r.fail(codec_errc::unknown_type, "ChordUpdate.type");
}

void encode(byte_writer& w, const chord_route_query_ans& v) { encode(w, v.next_peer); }

void decode(byte_reader& r, chord_route_query_ans& v) {
  v.next_peer = decode_node_id(r, "ChordRouteQueryAns.next_peer");
}

void encode(byte_writer& w, const chord_leave_data& v) {
  if (const auto* succ = std::get_if<chord_leave_from_succ>(&v.value)) {
    w.u8(static_cast<std::uint8_t>(chord_leave_type::from_succ));
    encode_node_id_list(w, succ->successors, "ChordLeaveData.successors");
  } else {
    w.u8(static_cast<std::uint8_t>(chord_leave_type::from_pred));
    encode_node_id_list(w, std::get<chord_leave_from_pred>(v.value).predecessors,
                        "ChordLeaveData.predecessors");
  }
}

void decode(byte_reader& r, chord_leave_data& v) {
  const std::uint8_t type = r.u8("ChordLeaveData.type");
  if (!r.ok()) return;
  switch (static_cast<chord_leave_type>(type)) {
    case chord_leave_type::from_succ:
      decode_node_id_list(r, v.value.emplace<chord_leave_from_succ>().successors,
                          "ChordLeaveData.successors");
      return;
    case chord_leave_type::from_pred:
      decode_node_id_list(r, v.value.emplace<chord_leave_from_pred>().predecessors,
                          "ChordLeaveData.predecessors");
      return;
    case chord_leave_type::invalid: break;
  }
  r.fail(codec_errc::unknown_type, "ChordLeaveData.type");
}

result<update_req> to_update_req(const chord_update& update) {
  return pack(update, [](std::vector<std::uint8_t> bytes) { return update_req{std::move(bytes)}; });
}

result<chord_update> chord_update_of(const update_req& req) {
  return from_bytes<chord_update>(req.overlay_specific_data);
}

result<route_query_ans> to_route_query_ans(const chord_route_query_ans& ans) {
  return pack(ans,
              [](std::vector<std::uint8_t> bytes) { return route_query_ans{std::move(bytes)}; });
}

result<chord_route_query_ans> chord_route_query_ans_of(const route_query_ans& ans) {
  return from_bytes<chord_route_query_ans>(ans.overlay_specific_data);
}

result<leave_req> to_leave_req(const node_id& leaving_peer_id, const chord_leave_data& data) {
  return pack(data, [&](std::vector<std::uint8_t> bytes) {
    return leave_req{leaving_peer_id, std::move(bytes)};
  });
}

result<chord_leave_data> chord_leave_data_of(const leave_req& req) {
  return from_bytes<chord_leave_data>(req.overlay_specific_data);
}

}  // namespace p2psip::wire
