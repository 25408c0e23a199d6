// a=candidate values (RFC 8839 §5.1): the forms daemons exchange, and the
// ones skipped (other components and transports, names, bad numbers).
#include <catch2/catch.hpp>

#include "media/sdp_candidate.hpp"

using namespace p2psip::media;
using p2psip::nat::ice_candidate_type;

TEST_CASE("host and relayed candidates parse and format back") {
  const auto host = parse_sdp_candidate("1 1 UDP 2130706431 192.0.2.1 5000 typ host");
  REQUIRE(host);
  CHECK(host->foundation == "1");
  CHECK(host->priority == 2130706431u);
  CHECK(host->address.address().to_string() == "192.0.2.1");
  CHECK(host->address.port() == 5000);
  CHECK(host->type == ice_candidate_type::host);
  CHECK_FALSE(host->related);
  CHECK(format_sdp_candidate(*host) == "1 1 UDP 2130706431 192.0.2.1 5000 typ host");

  const auto relay = parse_sdp_candidate(
      "a+/9 1 udp 16777215 2001:db8::5 49170 typ relay raddr 198.51.100.7 rport 6000 generation 0");
  REQUIRE(relay);
  CHECK(relay->type == ice_candidate_type::relay);
  REQUIRE(relay->related);
  CHECK(relay->related->port() == 6000);
  CHECK(format_sdp_candidate(*relay) ==
        "a+/9 1 UDP 16777215 2001:db8::5 49170 typ relay raddr 198.51.100.7 rport 6000");
  CHECK(parse_sdp_candidate(format_sdp_candidate(*relay)) == relay);
}

TEST_CASE("candidates this layer cannot use are skipped") {
  const char* bad[] = {
      "",
      "1 2 UDP 2130706431 192.0.2.1 5001 typ host",              // RTCP component
      "1 1 TCP 2130706431 192.0.2.1 9 typ host tcptype active",  // ICE-TCP
      "1 1 UDP 2130706431 abc.local 5000 typ host",              // mDNS name
      "1 1 UDP 2130706431 192.0.2.1 70000 typ host",             // port
      "1 1 UDP -1 192.0.2.1 5000 typ host",                      // priority
      "1 1 UDP 4294967296 192.0.2.1 5000 typ host",
      "1 1 UDP 1 192.0.2.1 5000 type host",
      "1 1 UDP 1 192.0.2.1 5000 typ bogus",
      "1 1 UDP 1 192.0.2.1 5000 typ",
      "1 1 UDP 1 192.0.2.1 5000 typ srflx raddr 10.0.0.1",  // rport missing
      "1 1 UDP 1 192.0.2.1 5000 typ srflx raddr x rport 1",
      "fo_o 1 UDP 1 192.0.2.1 5000 typ host",  // not ice-chars
      "123456789012345678901234567890123 1 UDP 1 192.0.2.1 5000 typ host",
  };
  for (const char* value : bad) {
    INFO(value);
    CHECK_FALSE(parse_sdp_candidate(value));
  }
}
