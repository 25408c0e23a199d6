#include "wire/find.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("FindReq: a Resource-ID and a list of Kind-IDs (§7.4.4.1)") {
  const find_req v{*resource_id::from_span(hex("1234")), {kind_id{2}, kind_id{0xf0000001}}};
  const auto golden =
      hex("02 1234"     // resource
          "08"          // kinds<0..2^8-1>: 8 bytes
          "00000002"    // TURN-SERVICE
          "f0000001");  // a private-use Kind-ID
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<find_req>(golden);
  test::check_trailing_byte_fails<find_req>(golden);

  SECTION("a Kind-ID twice must be rejected") {
    CHECK(test::decode_error_of<find_req>(hex("02 1234 08 00000002 00000002")) ==
          codec_errc::invalid_value);
    auto twice = v;
    twice.kinds.push_back(kind_id{2});
    CHECK(to_bytes(twice).error().code == codec_errc::invalid_value);
  }
  SECTION("many distinct Kind-IDs are accepted") {
    find_req many{*resource_id::from_span(hex("1234")), {}};
    for (std::uint32_t k = 0; k < 60; ++k) many.kinds.emplace_back(k);
    test::round_trip(many);
    many.kinds.back() = kind_id{0};
    CHECK(to_bytes(many).error().code == codec_errc::invalid_value);
  }
  SECTION("more Kind-IDs than 255 bytes hold") {
    find_req many{*resource_id::from_span(hex("1234")), {}};
    for (std::uint32_t k = 0; k < 64; ++k) many.kinds.emplace_back(k);
    CHECK(to_bytes(many).error().code == codec_errc::too_long_to_encode);
  }
  SECTION("a kinds length that is not a whole number of Kind-IDs") {
    CHECK(test::decode_error_of<find_req>(hex("02 1234 06 00000002 0000")) ==
          codec_errc::truncated);
  }
  SECTION("kinds past the end") {
    CHECK(test::decode_error_of<find_req>(hex("02 1234 08 00000002")) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("FindAns: the closest Resource-ID per Kind (§7.4.4.2)") {
  const find_ans v{{{kind_id{2}, *resource_id::from_span(hex("1230"))},
                    {kind_id{0x63}, *resource_id::from_span(hex("0000"))}}};
  const auto golden =
      hex("000e"                // results<0..2^16-1>: 14 bytes
          "00000002 02 1230"    // TURN-SERVICE, closest
          "00000063 02 0000");  // an unknown Kind: Resource-ID 0
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<find_ans>(golden);
  test::check_trailing_byte_fails<find_ans>(golden);

  SECTION("closest past the end of results") {
    CHECK(test::decode_error_of<find_ans>(hex("0007 00000002 05 1230")) ==
          codec_errc::length_past_end);
  }
  SECTION("results past the end") {
    CHECK(test::decode_error_of<find_ans>(hex("0010 00000002 02 1230")) ==
          codec_errc::length_past_end);
  }
}
