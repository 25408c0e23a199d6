#include "wire/ping.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("PingReq: padding is opaque<0..2^16-1>") {
  const auto golden =
      hex("0003"      // padding length
          "616263");  // padding "abc"
  CHECK(test::round_trip(ping_req{{'a', 'b', 'c'}}) == golden);
  test::check_every_truncation_fails<ping_req>(golden);
  test::check_trailing_byte_fails<ping_req>(golden);
}

TEST_CASE("PingReq: an empty request is a zero length prefix") {
  const auto golden = hex("0000");
  CHECK(test::round_trip(ping_req{}) == golden);
  test::check_every_truncation_fails<ping_req>(golden);
  test::check_trailing_byte_fails<ping_req>(golden);
}

TEST_CASE("PingReq: 65535 bytes of padding fit, 65536 do not") {
  ping_req largest{std::vector<std::uint8_t>(0xffff, 0x5a)};
  const auto bytes = test::round_trip(largest);
  CHECK(bytes.size() == 2 + 0xffff);

  ping_req too_big{std::vector<std::uint8_t>(0x10000, 0x5a)};
  auto r = to_bytes(too_big);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == codec_errc::too_long_to_encode);
}

TEST_CASE("PingReq: padding length past the end") {
  CHECK(test::decode_error_of<ping_req>(hex("0004 616263")) == codec_errc::length_past_end);
}

TEST_CASE("PingAns: response_id then time, both uint64") {
  const ping_ans ans{0x0102030405060708, 1389312000000};
  const auto golden =
      hex("0102030405060708"    // response_id
          "000001437972c000");  // time: 2014-01-10T00:00:00Z in ms
  CHECK(test::round_trip(ans) == golden);
  test::check_every_truncation_fails<ping_ans>(golden);
  test::check_trailing_byte_fails<ping_ans>(golden);
}
