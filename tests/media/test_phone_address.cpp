// Symmetric RTP without sockets: the SDP's address until the phone sends,
// then the source of its first packet, for good until relearned.
#include <catch2/catch.hpp>

#include "media/phone_address.hpp"

using namespace p2psip::media;
using boost::asio::ip::make_address;
using endpoint = phone_address::endpoint;

namespace {
const endpoint sdp_rtp(make_address("127.0.0.1"), 4000);
const endpoint actual(make_address("127.0.0.1"), 4100);
const endpoint actual_rtcp(make_address("127.0.0.1"), 4101);
const endpoint stranger(make_address("127.0.0.2"), 4000);
}  // namespace

TEST_CASE("nothing known: nowhere to send") {
  phone_address p;
  CHECK_FALSE(p.rtp_destination());
  CHECK_FALSE(p.rtcp_destination());
  p.expect(make_address("0.0.0.0"), 4000, false);  // RFC 2543 hold
  CHECK_FALSE(p.rtp_destination());
  p.expect(std::nullopt, 4000, false);
  CHECK_FALSE(p.rtp_destination());
  p.expect(make_address("127.0.0.1"), 0, false);
  CHECK_FALSE(p.rtp_destination());
}

TEST_CASE("the SDP's address until the phone sends, then where it sends from") {
  phone_address p;
  p.expect(sdp_rtp.address(), sdp_rtp.port(), false);
  CHECK(p.rtp_destination() == sdp_rtp);
  CHECK(p.rtcp_destination() == endpoint(sdp_rtp.address(), 4001));
  CHECK_FALSE(p.latched());

  CHECK(p.accept(packet_kind::rtp, actual, false));
  CHECK(p.latched());
  CHECK(p.rtp_destination() == actual);
  CHECK(p.accept(packet_kind::rtp, actual, false));
  CHECK_FALSE(p.accept(packet_kind::rtp, stranger, false));
  CHECK_FALSE(p.accept(packet_kind::rtp, sdp_rtp, false));  // latched elsewhere
  CHECK(p.rtp_destination() == actual);

  // RTCP latches separately, from the same address only.
  CHECK_FALSE(p.accept(packet_kind::rtcp, stranger, true));
  CHECK(p.rtcp_destination() == endpoint(sdp_rtp.address(), 4001));
  CHECK(p.accept(packet_kind::rtcp, actual_rtcp, true));
  CHECK(p.rtcp_destination() == actual_rtcp);
  CHECK_FALSE(p.accept(packet_kind::rtp, actual_rtcp, true));  // RTP on the RTCP port

  p.relearn();
  CHECK(p.rtp_destination() == sdp_rtp);
  CHECK(p.accept(packet_kind::rtp, stranger, false));
  CHECK(p.rtp_destination() == stranger);
}

TEST_CASE("rtcp-mux: RTCP on the RTP port, to the RTP destination") {
  phone_address p;
  p.expect(sdp_rtp.address(), sdp_rtp.port(), true);
  CHECK(p.rtcp_destination() == sdp_rtp);
  CHECK(p.accept(packet_kind::rtcp, actual, false));
  CHECK(p.rtcp_destination() == actual);
  CHECK_FALSE(p.accept(packet_kind::stun, actual, false));
}

TEST_CASE("no SDP address: learned from the first packet, RTCP on the port above") {
  phone_address p;
  CHECK(p.accept(packet_kind::rtp, actual, false));
  CHECK(p.rtcp_destination() == endpoint(actual.address(), 4101));
  phone_address top;
  CHECK(top.accept(packet_kind::rtp, endpoint(make_address("127.0.0.1"), 65535), false));
  CHECK_FALSE(top.rtcp_destination());
}
