#include "wire/app_attach.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const app_attach_req_ans& v) {
  w.opaque(1, 0, 0xff, v.ufrag, "AppAttachReq.ufrag");
  w.opaque(1, 0, 0xff, v.password, "AppAttachReq.password");
  w.u16(v.application.value);
  w.opaque(1, 0, 0xff, v.role, "AppAttachReq.role");
  encode_ice_candidates(w, v.candidates, "AppAttachReq.candidates");
}

void decode(byte_reader& r, app_attach_req_ans& v) {
  const auto ufrag = r.opaque(1, 0, 0xff, "AppAttachReq.ufrag");
  const auto password = r.opaque(1, 0, 0xff, "AppAttachReq.password");
  v.application = application_id{r.u16("AppAttachReq.application")};
  const auto role = r.opaque(1, 0, 0xff, "AppAttachReq.role");
  v.ufrag.assign(ufrag.begin(), ufrag.end());
  v.password.assign(password.begin(), password.end());
  v.role.assign(role.begin(), role.end());
  decode_ice_candidates(r, v.candidates, "AppAttachReq.candidates");
}

}  // namespace p2psip::wire
