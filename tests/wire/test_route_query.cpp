#include "wire/route_query.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {
node_id sample_node() { return *node_id::from_hex("000102030405060708090a0b0c0d0e0f"); }
}  // namespace

TEST_CASE("RouteQueryReq: send_update, a Destination, overlay_specific_data") {
  const route_query_req req{true, destination::node(sample_node()), {}};
  const auto golden =
      hex("01"                                      // send_update: True
          "01 10 000102030405060708090a0b0c0d0e0f"  // destination: node, length 16
          "0000");                                  // overlay_specific_data: none (CHORD)
  CHECK(test::round_trip(req) == golden);
  test::check_every_truncation_fails<route_query_req>(golden);
  test::check_trailing_byte_fails<route_query_req>(golden);
}

TEST_CASE("RouteQueryReq: a Resource-ID destination and overlay data") {
  const route_query_req req{
      false, destination::resource(*resource_id::from_span(hex("464f4f"))), {0xab, 0xcd}};
  const auto golden =
      hex("00"               // send_update: False
          "02 04 03 464f4f"  // destination: resource, length 4, ResourceId "FOO"
          "0002 abcd");      // overlay_specific_data
  CHECK(test::round_trip(req) == golden);
  test::check_every_truncation_fails<route_query_req>(golden);
  test::check_trailing_byte_fails<route_query_req>(golden);
}

TEST_CASE("RouteQueryReq: malformed inputs") {
  SECTION("send_update is a Boolean") {
    CHECK(test::decode_error_of<route_query_req>(hex("02 8001 0000")) == codec_errc::invalid_value);
  }
  SECTION("invalidDestinationType") {
    CHECK(test::decode_error_of<route_query_req>(hex("00 00 00 0000")) == codec_errc::unknown_type);
  }
  SECTION("overlay_specific_data length past the end") {
    CHECK(test::decode_error_of<route_query_req>(hex("00 8001 0002 ab")) ==
          codec_errc::length_past_end);
  }
  SECTION("encoding 2^16 bytes of overlay data") {
    auto r = to_bytes(route_query_req{false, destination{compressed_id{0x8001}},
                                      std::vector<std::uint8_t>(0x10000)});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("RouteQueryAns: the whole body is the overlay's") {
  const auto body = hex("000102030405060708090a0b0c0d0e0f");  // a ChordRouteQueryAns
  CHECK(test::round_trip(route_query_ans{body}) == body);
  auto ans = from_bytes<route_query_ans>(bytes_view(body.data(), 3));
  REQUIRE(ans);
  CHECK(ans->overlay_specific_data == hex("000102"));
}
