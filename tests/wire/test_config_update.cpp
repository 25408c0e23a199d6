#include "wire/config_update.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("ConfigUpdateReq: config carries the document in opaque<0..2^24-1>") {
  const config_update_req req{config_update_config{{'<', 'x', '/', '>'}}};
  const auto golden =
      hex("01"          // type: config
          "00000007"    // length of the remainder: 3 + 4
          "000004"      // config_data length
          "3c782f3e");  // "<x/>"
  CHECK(test::round_trip(req) == golden);
  test::check_every_truncation_fails<config_update_req>(golden);
  test::check_trailing_byte_fails<config_update_req>(golden);
}

TEST_CASE("ConfigUpdateReq: kind carries KindDescription<0..2^16-1> in a 24-bit list") {
  const config_update_req req{config_update_kinds{{{'a', 'b'}, {'c'}}}};
  const auto golden =
      hex("02"         // type: kind
          "0000000a"   // length of the remainder: 3 + 7
          "000007"     // kinds length in bytes
          "0002 6162"  // KindDescription "ab"
          "0001 63");  // KindDescription "c"
  CHECK(test::round_trip(req) == golden);
  test::check_every_truncation_fails<config_update_req>(golden);
  test::check_trailing_byte_fails<config_update_req>(golden);
}

TEST_CASE("ConfigUpdateReq: an unknown type is kept by its length") {
  const auto bytes = hex("07 00000002 aabb");
  auto req = from_bytes<config_update_req>(bytes);
  REQUIRE(req);
  const auto& unknown = std::get<unknown_config_update>(req->value);
  CHECK(unknown.type == 7);
  CHECK(unknown.body == hex("aabb"));
  CHECK(test::round_trip(*req) == bytes);
}

TEST_CASE("ConfigUpdateReq: malformed inputs") {
  SECTION("invalidConfigUpdateType") {
    CHECK(test::decode_error_of<config_update_req>(hex("00 00000000")) == codec_errc::unknown_type);
  }
  SECTION("length past the end") {
    CHECK(test::decode_error_of<config_update_req>(hex("01 00000008 000004 3c782f3e")) ==
          codec_errc::length_past_end);
  }
  SECTION("length longer than the config_data it frames") {
    CHECK(test::decode_error_of<config_update_req>(hex("01 00000008 000004 3c782f3e 00")) ==
          codec_errc::trailing_bytes);
  }
  SECTION("config_data length past the frame") {
    CHECK(test::decode_error_of<config_update_req>(hex("01 00000007 000005 3c782f3e")) ==
          codec_errc::length_past_end);
  }
  SECTION("a KindDescription past the kinds list") {
    CHECK(test::decode_error_of<config_update_req>(hex("02 00000007 000004 0003 6162")) ==
          codec_errc::length_past_end);
  }
  SECTION("kinds length past the frame") {
    CHECK(test::decode_error_of<config_update_req>(hex("02 00000006 000004 0002 6162")) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("ConfigUpdateReq: the encoder enforces its bounds") {
  SECTION("config_data of 2^24 bytes") {
    auto r = to_bytes(
        config_update_req{config_update_config{std::vector<std::uint8_t>(std::size_t{1} << 24)}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::too_long_to_encode);
  }
  SECTION("a KindDescription of 2^16 bytes") {
    auto r = to_bytes(
        config_update_req{config_update_kinds{{std::vector<std::uint8_t>(std::size_t{1} << 16)}}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::too_long_to_encode);
  }
  SECTION("an unknown alternative that claims a defined type") {
    auto r = to_bytes(config_update_req{unknown_config_update{1, {}}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::invalid_value);
  }
}

TEST_CASE("ConfigUpdateAns: empty, and nothing may follow") {
  CHECK(test::round_trip(config_update_ans{}).empty());
  test::check_trailing_byte_fails<config_update_ans>({});
  byte_reader r(hex("00"));
  config_update_ans ans;
  decode(r, ans);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error()->code == codec_errc::trailing_bytes);
}
