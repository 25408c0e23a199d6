#include "wire/probe.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("ProbeReq: requested_info is a byte-counted list of one-byte types") {
  const probe_req req{{probe_information_type::responsible_set, probe_information_type::uptime}};
  const auto golden =
      hex("02"    // requested_info length in bytes
          "01"    // responsible_set
          "03");  // uptime
  CHECK(test::round_trip(req) == golden);
  test::check_every_truncation_fails<probe_req>(golden);
  test::check_trailing_byte_fails<probe_req>(golden);
}

TEST_CASE("ProbeReq: an empty list") { CHECK(test::round_trip(probe_req{}) == hex("00")); }

TEST_CASE("ProbeReq: types this node does not know are kept for the responder to skip") {
  const auto bytes = hex("02 04 09");  // exp-probe, then an unassigned type
  auto req = from_bytes<probe_req>(bytes);
  REQUIRE(req);
  REQUIRE(req->requested_info.size() == 2);
  CHECK(static_cast<int>(req->requested_info[1]) == 9);
  CHECK(test::round_trip(*req) == bytes);
}

TEST_CASE("ProbeReq: malformed inputs") {
  SECTION("invalidProbeInformationType") {
    CHECK(test::decode_error_of<probe_req>(hex("02 01 00")) == codec_errc::unknown_type);
  }
  SECTION("list length past the end") {
    CHECK(test::decode_error_of<probe_req>(hex("03 01 02")) == codec_errc::length_past_end);
  }
  SECTION("encoding the invalid type") {
    auto r = to_bytes(probe_req{{probe_information_type::invalid}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::invalid_value);
  }
  SECTION("encoding more than 255 entries") {
    auto r = to_bytes(
        probe_req{std::vector<probe_information_type>(256, probe_information_type::uptime)});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("ProbeAns: each ProbeInformation is type, length, uint32") {
  const probe_ans ans{{
      {probe_responsible_set{250000000}},
      {probe_num_resources{7}},
      {probe_uptime{3600}},
  }};
  const auto golden =
      hex("0012"              // probe_info length: 3 x 6 bytes
          "01 04 0ee6b280"    // responsible_set, length 4, 250,000,000 ppb
          "02 04 00000007"    // num_resources, length 4, 7
          "03 04 00000e10");  // uptime, length 4, 3600 s
  CHECK(test::round_trip(ans) == golden);
  test::check_every_truncation_fails<probe_ans>(golden);
  test::check_trailing_byte_fails<probe_ans>(golden);
}

TEST_CASE("ProbeAns: an unknown information type is kept by its length") {
  const auto bytes = hex("000a 09 02 abcd 03 04 00000001");
  auto ans = from_bytes<probe_ans>(bytes);
  REQUIRE(ans);
  REQUIRE(ans->probe_info.size() == 2);
  const auto& unknown = std::get<unknown_probe_information>(ans->probe_info[0].value);
  CHECK(unknown.type == 9);
  CHECK(unknown.value == hex("abcd"));
  CHECK(std::get<probe_uptime>(ans->probe_info[1].value).uptime == 1);
  CHECK(test::round_trip(*ans) == bytes);
}

TEST_CASE("ProbeAns: malformed inputs") {
  SECTION("invalidProbeInformationType") {
    CHECK(test::decode_error_of<probe_ans>(hex("0006 00 04 00000001")) == codec_errc::unknown_type);
  }
  SECTION("a known type whose length is not 4") {
    CHECK(test::decode_error_of<probe_ans>(hex("0005 03 03 000001")) == codec_errc::invalid_value);
    CHECK(test::decode_error_of<probe_ans>(hex("0007 01 05 0000000100")) ==
          codec_errc::invalid_value);
  }
  SECTION("an information length past the list") {
    CHECK(test::decode_error_of<probe_ans>(hex("0006 02 05 00000001")) ==
          codec_errc::length_past_end);
  }
  SECTION("list length past the end") {
    CHECK(test::decode_error_of<probe_ans>(hex("0007 02 04 00000001")) ==
          codec_errc::length_past_end);
  }
  SECTION("encoding an unknown alternative that claims a defined type") {
    auto r = to_bytes(probe_ans{{{unknown_probe_information{2, {0, 0, 0, 1}}}}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::invalid_value);
  }
  SECTION("encoding an unknown value longer than the one-byte length") {
    auto r = to_bytes(probe_ans{{{unknown_probe_information{9, std::vector<std::uint8_t>(256)}}}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::too_long_to_encode);
  }
}
