// AppAttach bodies, RFC 6940 §6.5.2.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/attach.hpp"
#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ids.hpp"

namespace p2psip::wire {

// AppAttachReq and AppAttachAns are defined field for field alike.
struct app_attach_req_ans {
  std::vector<std::uint8_t> ufrag;        // opaque<0..2^8-1>
  std::vector<std::uint8_t> password;     // opaque<0..2^8-1>
  application_id application{};           // §14.5, e.g. 5060 for SIP
  std::vector<std::uint8_t> role;         // opaque<0..2^8-1>
  std::vector<ice_candidate> candidates;  // <0..2^16-1> bytes
  friend bool operator==(const app_attach_req_ans&, const app_attach_req_ans&) = default;
};
using app_attach_req = app_attach_req_ans;
using app_attach_ans = app_attach_req_ans;

void encode(byte_writer& w, const app_attach_req_ans& v);
void decode(byte_reader& r, app_attach_req_ans& v);

}  // namespace p2psip::wire
