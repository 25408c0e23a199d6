#include "wire/join.hpp"
#include "wire/leave.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {
node_id sample_node() { return *node_id::from_hex("000102030405060708090a0b0c0d0e0f"); }
}  // namespace

TEST_CASE("JoinReq: NodeId then overlay_specific_data<0..2^16-1>") {
  const join_req req{sample_node(), {0xab, 0xcd}};
  const auto golden =
      hex("000102030405060708090a0b0c0d0e0f"  // joining_peer_id, no length prefix
          "0002 abcd");                       // overlay_specific_data
  CHECK(test::round_trip(req) == golden);
  test::check_every_truncation_fails<join_req>(golden);
  test::check_trailing_byte_fails<join_req>(golden);
}

TEST_CASE("JoinReq: the minimal request is the Node-ID and an empty opaque") {
  CHECK(test::round_trip(join_req{sample_node(), {}}) ==
        hex("000102030405060708090a0b0c0d0e0f 0000"));
}

TEST_CASE("JoinAns: overlay_specific_data<0..2^16-1>") {
  const auto golden = hex("0002 abcd");
  CHECK(test::round_trip(join_ans{{0xab, 0xcd}}) == golden);
  test::check_every_truncation_fails<join_ans>(golden);
  test::check_trailing_byte_fails<join_ans>(golden);
}

TEST_CASE("LeaveReq: NodeId then overlay_specific_data<0..2^16-1>") {
  const leave_req req{sample_node(), {0x01, 0x00, 0x00}};
  const auto golden =
      hex("000102030405060708090a0b0c0d0e0f"  // leaving_peer_id
          "0003 010000");                     // overlay_specific_data
  CHECK(test::round_trip(req) == golden);
  test::check_every_truncation_fails<leave_req>(golden);
  test::check_trailing_byte_fails<leave_req>(golden);
}

TEST_CASE("LeaveAns: empty, and nothing may follow") {
  CHECK(test::round_trip(leave_ans{}).empty());
  test::check_trailing_byte_fails<leave_ans>({});
  byte_reader r(hex("00"));
  leave_ans ans;
  decode(r, ans);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error()->code == codec_errc::trailing_bytes);
}

TEST_CASE("Join and Leave: malformed inputs") {
  SECTION("overlay_specific_data length past the end") {
    CHECK(test::decode_error_of<join_req>(hex("000102030405060708090a0b0c0d0e0f 0003 abcd")) ==
          codec_errc::length_past_end);
    CHECK(test::decode_error_of<join_ans>(hex("0003 abcd")) == codec_errc::length_past_end);
    CHECK(test::decode_error_of<leave_req>(hex("000102030405060708090a0b0c0d0e0f 0001")) ==
          codec_errc::length_past_end);
  }
  SECTION("a short Node-ID") {
    CHECK(test::decode_error_of<leave_req>(hex("0001020304")) == codec_errc::truncated);
  }
  SECTION("encoding 2^16 bytes of overlay data") {
    const std::vector<std::uint8_t> big(0x10000);
    auto join = to_bytes(join_req{sample_node(), big});
    REQUIRE_FALSE(join.has_value());
    CHECK(join.error().code == codec_errc::too_long_to_encode);
    auto ans = to_bytes(join_ans{big});
    REQUIRE_FALSE(ans.has_value());
    CHECK(ans.error().code == codec_errc::too_long_to_encode);
    auto leave = to_bytes(leave_req{sample_node(), big});
    REQUIRE_FALSE(leave.has_value());
    CHECK(leave.error().code == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("NodeId lists count bytes and hold whole NodeIds") {
  const auto a = sample_node();
  const auto bytes = hex("0020 000102030405060708090a0b0c0d0e0f 000102030405060708090a0b0c0d0e0f");
  byte_reader r(bytes);
  std::vector<node_id> ids;
  decode_node_id_list(r, ids, "list");
  REQUIRE(r.ok());
  CHECK(ids == std::vector<node_id>{a, a});

  byte_writer measure;
  encode_node_id_list(measure, std::vector<node_id>(4096, a), "list");
  REQUIRE_FALSE(measure.ok());
  CHECK(measure.error()->code == codec_errc::too_long_to_encode);

  const auto ragged = hex("0011 000102030405060708090a0b0c0d0e0f 00");
  byte_reader rr(ragged);
  decode_node_id_list(rr, ids, "list");
  REQUIRE_FALSE(rr.ok());
  CHECK(rr.error()->code == codec_errc::truncated);
}
