#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("byte_reader reads big-endian integers of every width") {
  const auto b = hex("01 0203 040506 0708090a 0b0c0d0e0f101112");
  byte_reader r(b);
  CHECK(r.u8("a") == 0x01);
  CHECK(r.u16("b") == 0x0203);
  CHECK(r.u24("c") == 0x040506);
  CHECK(r.u32("d") == 0x0708090a);
  CHECK(r.u64("e") == 0x0b0c0d0e0f101112ULL);
  CHECK(r.ok());
  CHECK(r.empty());
}

TEST_CASE("byte_reader keeps the first error and drains") {
  const auto b = hex("00 05 aa");
  byte_reader r(b);
  auto o = r.opaque(2, 0, 255, "field_x");
  CHECK(o.empty());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error()->code == codec_errc::length_past_end);
  CHECK(std::string(r.error()->field) == "field_x");
  CHECK(r.error()->offset == 0);
  CHECK(r.u32("later") == 0);
  CHECK(r.error()->code == codec_errc::length_past_end);  // still the first error
  CHECK(r.empty());
}

TEST_CASE("byte_reader: opaque bounds and Boolean values") {
  SECTION("length above the field maximum") {
    const auto b = hex("05 0102030405");
    byte_reader r(b);
    r.opaque(1, 0, 4, "short_field");
    CHECK(r.error()->code == codec_errc::length_out_of_range);
  }
  SECTION("Boolean 2 is invalid") {
    const auto b = hex("02");
    byte_reader r(b);
    r.boolean("flag");
    CHECK(r.error()->code == codec_errc::invalid_value);
  }
  SECTION("sub-reader errors reach the root with absolute offsets") {
    const auto b = hex("aa 03 010203");
    byte_reader r(b);
    r.u8("lead");
    auto s = r.sub_prefixed(1, 255, "block");
    s.u16("x");
    s.u16("y");  // only one byte left in the block
    REQUIRE_FALSE(r.ok());
    CHECK(r.error()->code == codec_errc::truncated);
    CHECK(r.error()->offset == 4);
  }
}

TEST_CASE("byte_writer measures and writes the same bytes, back-patching lengths") {
  auto run = [](byte_writer& w) {
    w.u8(1);
    auto m = w.begin_prefixed(2);
    w.u32(0xdeadbeef);
    w.end_prefixed(m, 0xffff, "blk");
  };
  byte_writer measure;
  run(measure);
  REQUIRE(measure.size() == 7);
  std::vector<std::uint8_t> out(measure.size());
  byte_writer w{std::span<std::uint8_t>(out)};
  run(w);
  CHECK(w.ok());
  CHECK(out == hex("01 0004 deadbeef"));
}

TEST_CASE("byte_writer refuses a value too long for its length prefix") {
  std::vector<std::uint8_t> big(256, 0);
  byte_writer w;
  w.opaque(1, 0, 255, big, "opaque8");
  REQUIRE_FALSE(w.ok());
  CHECK(w.error()->code == codec_errc::too_long_to_encode);
}
