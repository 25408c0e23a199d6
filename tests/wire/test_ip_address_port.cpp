#include "wire/ip_address_port.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("IpAddressPort: the RFC 6940 §6.3.1.1 example, 192.0.2.1:6084") {
  const ip_address_port v{ipv4_addr_port{0xc0000201, 6084}};
  const auto golden = hex("01 06 c0000201 17c4");
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<ip_address_port>(golden);
  test::check_trailing_byte_fails<ip_address_port>(golden);
}

TEST_CASE("IpAddressPort: IPv6 round trip and golden bytes") {
  ipv6_addr_port a;
  a.addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  a.port = 5060;
  const auto golden = hex("02 12 20010db8000000000000000000000001 13c4");
  CHECK(test::round_trip(ip_address_port{a}) == golden);
  test::check_every_truncation_fails<ip_address_port>(golden);
}

TEST_CASE("IpAddressPort: an unknown, extended address type is kept and skipped") {
  const auto bytes = hex("07 03 aabbcc");
  auto v = from_bytes<ip_address_port>(bytes);
  REQUIRE(v);
  REQUIRE(std::holds_alternative<unknown_address>(v->value));
  CHECK(std::get<unknown_address>(v->value).body.size() == 3);
  CHECK(test::round_trip(*v) == bytes);
}

TEST_CASE("IpAddressPort: malformed inputs") {
  SECTION("type 0 is invalidAddressType") {
    CHECK(test::decode_error_of<ip_address_port>(hex("00 06 c0000201 17c4")) ==
          codec_errc::unknown_type);
  }
  SECTION("IPv4 with a length longer than its body is trailing data inside the select") {
    CHECK(test::decode_error_of<ip_address_port>(hex("01 07 c0000201 17c4 00")) ==
          codec_errc::trailing_bytes);
  }
  SECTION("IPv4 with a length shorter than an address") {
    CHECK(test::decode_error_of<ip_address_port>(hex("01 04 c0000201")) == codec_errc::truncated);
  }
  SECTION("a length past the end of the buffer") {
    CHECK(test::decode_error_of<ip_address_port>(hex("01 20 c0000201 17c4")) ==
          codec_errc::length_past_end);
  }
}
