#include "wire/turn_server.hpp"

namespace p2psip::wire {

void encode(byte_writer& w, const turn_server& v) {
  if (v.iteration == 0) w.fail(codec_errc::invalid_value, "TurnServer.iteration");
  w.u8(v.iteration);
  encode(w, v.server_address);
}

void decode(byte_reader& r, turn_server& v) {
  v.iteration = r.u8("TurnServer.iteration");
  if (r.ok() && v.iteration == 0) r.fail(codec_errc::invalid_value, "TurnServer.iteration");
  decode(r, v.server_address);
}

}  // namespace p2psip::wire
