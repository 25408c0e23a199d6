#include "wire/error_response.hpp"

#include <string>

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("ErrorResponse: code and 16-bit length-prefixed info") {
  const auto golden = hex(
      "0003"    // error_code Error_Not_Found
      "0002"    // error_info length
      "6e66"    // "nf"
  );
  CHECK(test::round_trip(error_response{reload_error_code::not_found, hex("6e66")}) == golden);
  test::check_every_truncation_fails<error_response>(golden);
  test::check_trailing_byte_fails<error_response>(golden);
}

TEST_CASE("ErrorResponse: every assigned error code round-trips") {
  for (std::uint16_t code = 0x2; code <= 0x14; ++code) {
    INFO("error code " << code);
    const error_response e{static_cast<reload_error_code>(code), {}};
    CHECK(std::string(to_string(e.error_code)) != "unassigned");
    const auto bytes = test::round_trip(e);
    CHECK(bytes == std::vector<std::uint8_t>{static_cast<std::uint8_t>(code >> 8),
                                             static_cast<std::uint8_t>(code), 0, 0});
  }
}

TEST_CASE("ErrorResponse: unassigned and reserved codes are kept raw") {
  for (const std::uint16_t code : {0x1, 0x15, 0x8000, 0xfffe, 0xffff}) {
    INFO("error code " << code);
    auto bytes = hex("0000 0001 78");
    bytes[0] = static_cast<std::uint8_t>(code >> 8);
    bytes[1] = static_cast<std::uint8_t>(code);
    auto e = from_bytes<error_response>(bytes);
    REQUIRE(e);
    CHECK(static_cast<std::uint16_t>(e->error_code) == code);
    CHECK(test::round_trip(*e) == bytes);
  }
}

TEST_CASE("ErrorResponse: malformed inputs") {
  SECTION("invalidErrorCode") {
    CHECK(test::decode_error_of<error_response>(hex("0000 0000")) == codec_errc::unknown_type);
    CHECK_FALSE(to_bytes(error_response{reload_error_code::invalid, {}}).has_value());
  }
  SECTION("error_info length past the end") {
    CHECK(test::decode_error_of<error_response>(hex("0003 0003 6e66")) ==
          codec_errc::length_past_end);
  }
  SECTION("error_info over 2^16-1 bytes cannot be encoded") {
    auto bytes =
        to_bytes(error_response{reload_error_code::forbidden, std::vector<std::uint8_t>(0x10000)});
    REQUIRE_FALSE(bytes.has_value());
    CHECK(bytes.error().code == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("ErrorResponse from a decode failure names the failure") {
  const auto e = to_error_response(codec_error{codec_errc::message_too_large, "message", 0});
  CHECK(e.error_code == reload_error_code::message_too_large);
  const std::string info(e.error_info.begin(), e.error_info.end());
  CHECK(info.find("message_too_large") != std::string::npos);

  CHECK(to_error_response(codec_error{codec_errc::truncated, "x", 3}).error_code ==
        reload_error_code::invalid_message);
}
