#include "wire/destination.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {
node_id sample_node() { return *node_id::from_hex("000102030405060708090a0b0c0d0e0f"); }
}  // namespace

TEST_CASE("Destination: node form") {
  const auto golden = hex("01 10 000102030405060708090a0b0c0d0e0f");
  CHECK(test::round_trip(destination::node(sample_node())) == golden);
  test::check_every_truncation_fails<destination>(golden);
  test::check_trailing_byte_fails<destination>(golden);
}

TEST_CASE("Destination: resource form carries a length-prefixed ResourceId") {
  const auto rid = *resource_id::from_span(hex("464f4f"));  // "FOO", §6.3.1.1
  const auto golden = hex("02 04 03 464f4f");
  CHECK(test::round_trip(destination::resource(rid)) == golden);
  test::check_every_truncation_fails<destination>(golden);
}

TEST_CASE("Destination: opaque id form") {
  const auto oid = *opaque_id::from_span(hex("cafe01"));
  CHECK(test::round_trip(destination{oid}) == hex("03 04 03 cafe01"));
}

TEST_CASE("Destination: compressed 16-bit form has the top bit set") {
  const auto golden = hex("8123");
  CHECK(test::round_trip(destination{compressed_id{0x8123}}) == golden);
  test::check_every_truncation_fails<destination>(golden);
  byte_writer w;
  encode(w, destination{compressed_id{0x0123}});
  CHECK_FALSE(w.ok());
}

TEST_CASE("Destination: an unknown type below 128 is kept for skipping") {
  const auto bytes = hex("07 02 abcd");
  auto d = from_bytes<destination>(bytes);
  REQUIRE(d);
  CHECK(std::get<unknown_destination>(d->value).type == 7);
  CHECK(test::round_trip(*d) == bytes);
}

TEST_CASE("Destination: malformed inputs") {
  SECTION("invalidDestinationType") {
    CHECK(test::decode_error_of<destination>(hex("00 00")) == codec_errc::unknown_type);
  }
  SECTION("node id of the wrong length") {
    CHECK(test::decode_error_of<destination>(hex("01 04 00010203")) == codec_errc::invalid_value);
  }
  SECTION("resource length disagrees with the outer length") {
    CHECK(test::decode_error_of<destination>(hex("02 05 03 464f4f 00")) ==
          codec_errc::trailing_bytes);
  }
  SECTION("outer length past the buffer") {
    CHECK(test::decode_error_of<destination>(hex("02 09 03 464f4f")) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("Destination lists decode back to back and stop at the first error") {
  const auto bytes = hex("8001 01 10 000102030405060708090a0b0c0d0e0f 8002");
  byte_reader r(bytes);
  std::vector<destination> list;
  decode_destination_list(r, list);
  REQUIRE(r.ok());
  REQUIRE(list.size() == 3);
  CHECK(list[1] == destination::node(sample_node()));

  const auto bad = hex("8001 01 10 0001");
  byte_reader rb(bad);
  decode_destination_list(rb, list);
  CHECK_FALSE(rb.ok());
}
