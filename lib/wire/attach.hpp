// Attach bodies and the ICE candidate encoding, RFC 6940 §6.5.1.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ip_address_port.hpp"

namespace p2psip::wire {

// An IANA registry (§14.10) that new link protocols extend. A candidate's
// layout does not depend on it, so any value but 0 decodes and the link layer
// ignores candidates whose protocol it does not speak.
enum class overlay_link_type : std::uint8_t {
  invalid = 0,
  dtls_udp_sr = 1,
  dtls_udp_sr_no_ice = 3,
  tls_tcp_fh_no_ice = 4,
  exp_link = 5,
};

// 3 (prflx in the drafts) is RESERVED: the select gives it no layout, so it
// cannot be decoded and is rejected like any unknown type.
enum class cand_type : std::uint8_t { invalid = 0, host = 1, srflx = 2, relay = 4 };

struct ice_extension {
  std::vector<std::uint8_t> name;   // opaque<0..2^16-1>
  std::vector<std::uint8_t> value;  // opaque<0..2^16-1>
  friend bool operator==(const ice_extension&, const ice_extension&) = default;
};

struct ice_candidate {
  ip_address_port addr_port;
  overlay_link_type overlay_link = overlay_link_type::tls_tcp_fh_no_ice;
  std::vector<std::uint8_t> foundation;  // opaque<0..255>
  std::uint32_t priority = 0;
  cand_type type = cand_type::host;
  // Present exactly for srflx and relay; the encoder refuses a mismatch.
  std::optional<ip_address_port> rel_addr_port;
  std::vector<ice_extension> extensions;  // <0..2^16-1> bytes
  friend bool operator==(const ice_candidate&, const ice_candidate&) = default;
};

// The request and its answer share one structure (§6.5.1.2).
struct attach_req_ans {
  std::vector<std::uint8_t> ufrag;        // opaque<0..2^8-1>
  std::vector<std::uint8_t> password;     // opaque<0..2^8-1>
  std::vector<std::uint8_t> role;         // opaque<0..2^8-1>, "passive" / "active"
  std::vector<ice_candidate> candidates;  // <0..2^16-1> bytes
  bool send_update = false;
  friend bool operator==(const attach_req_ans&, const attach_req_ans&) = default;
};
using attach_req = attach_req_ans;
using attach_ans = attach_req_ans;

// §6.5.1.2: the role MUST be "passive" for the offerer (the sender of the
// AttachReq) and "active" for the answerer.
std::vector<std::uint8_t> attach_offerer_role();
std::vector<std::uint8_t> attach_answerer_role();

void encode(byte_writer& w, const ice_extension& v);
void decode(byte_reader& r, ice_extension& v);
void encode(byte_writer& w, const ice_candidate& v);
void decode(byte_reader& r, ice_candidate& v);
void encode(byte_writer& w, const attach_req_ans& v);
void decode(byte_reader& r, attach_req_ans& v);

// IceCandidate candidates<0..2^16-1>, shared with AppAttach; `field` names
// the enclosing structure's list in errors.
void encode_ice_candidates(byte_writer& w, const std::vector<ice_candidate>& list,
                           const char* field);
void decode_ice_candidates(byte_reader& r, std::vector<ice_candidate>& list, const char* field);

}  // namespace p2psip::wire
