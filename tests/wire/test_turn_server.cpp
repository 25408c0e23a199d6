#include "wire/turn_server.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("TurnServer: iteration and server address (RFC 6940 §9)") {
  const turn_server v{3, {ipv4_addr_port{0xc0000201, 3478}}};
  const auto golden =
      hex("03"                     // iteration d = 3
          "01 06 c0000201 0d96");  // IpAddressPort: IPv4 192.0.2.1:3478
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<turn_server>(golden);
  test::check_trailing_byte_fails<turn_server>(golden);
}

TEST_CASE("TurnServer: IPv6 and extended address types") {
  ipv6_addr_port a;
  a.addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  a.port = 3478;
  CHECK(test::round_trip(turn_server{20, {a}}) ==
        hex("14 02 12 20010db8000000000000000000000001 0d96"));
  CHECK(test::round_trip(turn_server{1, {unknown_address{9, {0xaa}}}}) == hex("01 09 01 aa"));
}

TEST_CASE("TurnServer: malformed inputs") {
  SECTION("iteration 0 is outside 1..turn-density") {
    CHECK(test::decode_error_of<turn_server>(hex("00 01 06 c0000201 0d96")) ==
          codec_errc::invalid_value);
    CHECK(to_bytes(turn_server{0, {ipv4_addr_port{}}}).error().code == codec_errc::invalid_value);
  }
  SECTION("an invalid address type") {
    CHECK(test::decode_error_of<turn_server>(hex("01 00 06 c0000201 0d96")) ==
          codec_errc::unknown_type);
  }
  SECTION("an address length past the end") {
    CHECK(test::decode_error_of<turn_server>(hex("01 01 08 c0000201 0d96")) ==
          codec_errc::length_past_end);
  }
}
