#include "wire/message_contents.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {
message_contents ping_contents() { return message_contents{message_code::ping_req, hex("0000"), {}}; }
}  // namespace

TEST_CASE("MessageContents: code, 32-bit body length, 32-bit extensions length") {
  const auto golden = hex(
      "0017"        // message_code ping_req
      "00000002"    // message_body length
      "0000"        // PingReq: empty padding
      "00000000"    // extensions: none
  );
  CHECK(test::round_trip(ping_contents()) == golden);
  test::check_every_truncation_fails<message_contents>(golden);
  test::check_trailing_byte_fails<message_contents>(golden);
}

TEST_CASE("MessageContents: extensions are carried raw") {
  auto contents = ping_contents();
  contents.extensions.push_back(message_extension{1, true, hex("ab")});
  contents.extensions.push_back(message_extension{0x1234, false, {}});
  const auto golden = hex(
      "0017 00000002 0000"
      "0000000f"            // extensions length in bytes
      "0001 01 00000001 ab" //   exp-ext, critical, 1 byte
      "1234 00 00000000"    //   unknown type, not critical, empty
  );
  CHECK(test::round_trip(contents) == golden);
  test::check_every_truncation_fails<message_contents>(golden);
  test::check_trailing_byte_fails<message_contents>(golden);
}

TEST_CASE("MessageExtension on its own") {
  const auto golden = hex("0001 00 00000002 cafe");
  CHECK(test::round_trip(message_extension{1, false, hex("cafe")}) == golden);
  test::check_every_truncation_fails<message_extension>(golden);
  test::check_trailing_byte_fails<message_extension>(golden);
}

TEST_CASE("MessageContents: unassigned and reserved codes still decode") {
  for (const std::uint16_t code : {0x7001, 0x8000, 0xfffe}) {
    auto bytes = hex("0000 00000000 00000000");
    bytes[0] = static_cast<std::uint8_t>(code >> 8);
    bytes[1] = static_cast<std::uint8_t>(code);
    auto contents = from_bytes<message_contents>(bytes);
    REQUIRE(contents);
    CHECK(static_cast<std::uint16_t>(contents->code) == code);
    CHECK(test::round_trip(*contents) == bytes);
  }
}

TEST_CASE("MessageContents: malformed inputs") {
  SECTION("invalid message code 0") {
    CHECK(test::decode_error_of<message_contents>(hex("0000 00000000 00000000")) ==
          codec_errc::unknown_type);
    CHECK_FALSE(to_bytes(message_contents{message_code::invalid, {}, {}}).has_value());
  }
  SECTION("body length past the end") {
    CHECK(test::decode_error_of<message_contents>(hex("0017 00000007 0000 00000000")) ==
          codec_errc::length_past_end);
  }
  SECTION("body length near 2^32 past the end") {
    CHECK(test::decode_error_of<message_contents>(hex("0017 ffffffff 0000 00000000")) ==
          codec_errc::length_past_end);
  }
  SECTION("extensions length past the end") {
    CHECK(test::decode_error_of<message_contents>(hex("0017 00000000 00000009 0001 00 00000000")) ==
          codec_errc::length_past_end);
  }
  SECTION("an extension running past the extensions length") {
    CHECK(test::decode_error_of<message_contents>(hex("0017 00000000 00000008 0001 00 00000002 ab")) ==
          codec_errc::length_past_end);
  }
  SECTION("invalidMessageExtensionType") {
    CHECK(test::decode_error_of<message_contents>(hex("0017 00000000 00000007 0000 00 00000000")) ==
          codec_errc::unknown_type);
    CHECK_FALSE(to_bytes(message_extension{0, false, {}}).has_value());
  }
  SECTION("critical is not a Boolean") {
    CHECK(test::decode_error_of<message_contents>(hex("0017 00000000 00000007 0001 02 00000000")) ==
          codec_errc::invalid_value);
  }
}
