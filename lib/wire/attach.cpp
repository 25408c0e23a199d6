#include "wire/attach.hpp"

#include "wire/codec.hpp"

namespace p2psip::wire {

namespace {

bool has_related_address(cand_type t) { return t == cand_type::srflx || t == cand_type::relay; }

void assign(std::vector<std::uint8_t>& out, bytes_view bytes) {
  out.assign(bytes.begin(), bytes.end());
}

}  // namespace

void encode(byte_writer& w, const ice_extension& v) {
  w.opaque(2, 0, 0xffff, v.name, "IceExtension.name");
  w.opaque(2, 0, 0xffff, v.value, "IceExtension.value");
}

void decode(byte_reader& r, ice_extension& v) {
  assign(v.name, r.opaque(2, 0, 0xffff, "IceExtension.name"));
  assign(v.value, r.opaque(2, 0, 0xffff, "IceExtension.value"));
}

void encode(byte_writer& w, const ice_candidate& v) {
  encode(w, v.addr_port);
  if (v.overlay_link == overlay_link_type::invalid) {
    w.fail(codec_errc::invalid_value, "IceCandidate.overlay_link");
  }
  w.u8(static_cast<std::uint8_t>(v.overlay_link));
  w.opaque(1, 0, 0xff, v.foundation, "IceCandidate.foundation");
  w.u32(v.priority);
  if (v.type != cand_type::host && !has_related_address(v.type)) {
    w.fail(codec_errc::invalid_value, "IceCandidate.type");
  }
  w.u8(static_cast<std::uint8_t>(v.type));
  if (has_related_address(v.type) != v.rel_addr_port.has_value()) {
    w.fail(codec_errc::invalid_value, "IceCandidate.rel_addr_port");
  } else if (v.rel_addr_port) {
    encode(w, *v.rel_addr_port);
  }
  const auto m = w.begin_prefixed(2);
  for (const auto& e : v.extensions) encode(w, e);
  w.end_prefixed(m, 0xffff, "IceCandidate.extensions");
}

void decode(byte_reader& r, ice_candidate& v) {
  decode(r, v.addr_port);
  const std::uint8_t link = r.u8("IceCandidate.overlay_link");
  if (r.ok() && link == static_cast<std::uint8_t>(overlay_link_type::invalid)) {
    r.fail(codec_errc::unknown_type, "IceCandidate.overlay_link");
    return;
  }
  v.overlay_link = static_cast<overlay_link_type>(link);
  assign(v.foundation, r.opaque(1, 0, 0xff, "IceCandidate.foundation"));
  v.priority = r.u32("IceCandidate.priority");
  const auto type = static_cast<cand_type>(r.u8("IceCandidate.type"));
  if (!r.ok()) return;
  if (type != cand_type::host && !has_related_address(type)) {
    r.fail(codec_errc::unknown_type, "IceCandidate.type");
    return;
  }
  v.type = type;
  v.rel_addr_port.reset();
  if (has_related_address(type)) decode(r, v.rel_addr_port.emplace());
  auto list = r.sub_prefixed(2, 0xffff, "IceCandidate.extensions");
  decode_elements(list, v.extensions);
}

void encode_ice_candidates(byte_writer& w, const std::vector<ice_candidate>& list,
                           const char* field) {
  const auto m = w.begin_prefixed(2);
  for (const auto& c : list) encode(w, c);
  w.end_prefixed(m, 0xffff, field);
}

void decode_ice_candidates(byte_reader& r, std::vector<ice_candidate>& list, const char* field) {
  auto sub = r.sub_prefixed(2, 0xffff, field);
  decode_elements(sub, list);
}

void encode(byte_writer& w, const attach_req_ans& v) {
  w.opaque(1, 0, 0xff, v.ufrag, "AttachReqAns.ufrag");
  w.opaque(1, 0, 0xff, v.password, "AttachReqAns.password");
  w.opaque(1, 0, 0xff, v.role, "AttachReqAns.role");
  encode_ice_candidates(w, v.candidates, "AttachReqAns.candidates");
  w.boolean(v.send_update);
}

void decode(byte_reader& r, attach_req_ans& v) {
  assign(v.ufrag, r.opaque(1, 0, 0xff, "AttachReqAns.ufrag"));
  assign(v.password, r.opaque(1, 0, 0xff, "AttachReqAns.password"));
  assign(v.role, r.opaque(1, 0, 0xff, "AttachReqAns.role"));
  decode_ice_candidates(r, v.candidates, "AttachReqAns.candidates");
  v.send_update = r.boolean("AttachReqAns.send_update");
}

std::vector<std::uint8_t> attach_offerer_role() { return {'p', 'a', 's', 's', 'i', 'v', 'e'}; }
std::vector<std::uint8_t> attach_answerer_role() { return {'a', 'c', 't', 'i', 'v', 'e'}; }

}  // namespace p2psip::wire
