// libFuzzer target for sdp_session: parsing, then both rewrites. Whatever
// parses must rewrite into SDP that parses again with as many m-lines; the
// phone's copy carries no key, candidate or ICE credential, and the far
// daemon's exactly the one key given on each line it keeps.
#include <cstdlib>
#include <string_view>

#include "media/sdp_session.hpp"

using namespace p2psip::media;
namespace nat = p2psip::nat;

namespace {

const auto daemon_address = boost::asio::ip::make_address("192.0.2.1");

void check_phone(const sdp_session& s) {
  phone_rewrite rewrite{boost::asio::ip::make_address("127.0.0.1"), {}};
  for (std::size_t i = 0; i < s.media().size(); ++i) {
    rewrite.ports.push_back(static_cast<std::uint16_t>(40000 + 2 * i));
  }
  const auto out = s.toward_phone(rewrite);
  if (!out) return;
  const auto again = sdp_session::parse(*out);
  if (!again || again->media().size() != s.media().size()) std::abort();
  for (const auto& m : again->media()) {
    if (!m.crypto.empty() || !m.candidates.empty() || m.ice || m.rtcp_mux) std::abort();
  }
}

void check_daemon(const sdp_session& s) {
  static const sdes_crypto key = fresh_sdes_crypto();
  daemon_rewrite rewrite{daemon_address, {}};
  nat::ice_candidate host;
  host.foundation = "1";
  host.priority = 2130706431;
  host.address = {daemon_address, 50000};
  for (std::size_t i = 0; i < s.media().size(); ++i) {
    rewrite.media.push_back({50000, key, {{"ufrag", "password0123456789abcd"}, {host}}});
  }
  const auto out = s.toward_daemon(rewrite);
  if (!out) return;
  const auto again = sdp_session::parse(*out);
  if (!again || again->media().size() != s.media().size()) std::abort();
  for (const auto& m : again->media()) {
    if (m.port == 0) continue;
    if (m.crypto.size() != 1 || !(m.crypto[0] == key) || m.candidates.size() != 1) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto s = sdp_session::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!s) return 0;
  check_phone(*s);
  check_daemon(*s);
  return 0;
}
