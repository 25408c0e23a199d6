#include "wire/sip_registration.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {
node_id sample_node() { return *node_id::from_hex("000102030405060708090a0b0c0d0e0f"); }
}  // namespace

TEST_CASE(
    "SipRegistration: a route with contact preferences and a destination list (RFC 7904 §3.2)") {
  const sip_registration v{
      sip_registration_route{"(sip.schemes=SIP)", {destination::node(sample_node())}}};
  const auto golden =
      hex("02"                                          // type: sip_registration_route
          "0027"                                        // length 39
          "0011 28736970 2e736368656d6573 3d534950 29"  // contact_prefs<"(sip.schemes=SIP)">
          "0012"                                        // destination_list: 18 bytes
          "01 10 000102030405060708090a0b0c0d0e0f");    // Destination: node
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<sip_registration>(golden);
  test::check_trailing_byte_fails<sip_registration>(golden);
}

TEST_CASE("SipRegistration: a URI to dereference") {
  const sip_registration v{sip_registration_uri{"sam@dht.example.org"}};
  const auto golden =
      hex("01 0015"  // type: sip_registration_uri, length 21
          "0013 73616d40 6468742e 6578616d 706c652e 6f7267");  // uri<"sam@dht.example.org">
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<sip_registration>(golden);
  test::check_trailing_byte_fails<sip_registration>(golden);
}

TEST_CASE("SipRegistration: an extended type is kept so it can be skipped") {
  const auto bytes = hex("07 0003 aabbcc");
  auto v = from_bytes<sip_registration>(bytes);
  REQUIRE(v);
  const auto& unknown = std::get<unknown_sip_registration>(v->data);
  CHECK(unknown.type == 7);
  CHECK(unknown.data == hex("aabbcc"));
  CHECK(test::round_trip(*v) == bytes);

  SECTION("but cannot impersonate a defined type") {
    CHECK(to_bytes(sip_registration{unknown_sip_registration{2, {}}}).error().code ==
          codec_errc::invalid_value);
  }
}

TEST_CASE("SipRegistration: malformed inputs") {
  SECTION("a destination_list shorter than its minimum of 3 bytes") {
    CHECK(test::decode_error_of<sip_registration>(hex("02 0006 0000 0002 8001")) ==
          codec_errc::length_out_of_range);
    CHECK(test::decode_error_of<sip_registration>(hex("02 0004 0000 0000")) ==
          codec_errc::length_out_of_range);
    CHECK(
        to_bytes(sip_registration{sip_registration_route{"", {destination{compressed_id{0x8001}}}}})
            .error()
            .code == codec_errc::too_long_to_encode);
  }
  SECTION("length longer than the data") {
    CHECK(test::decode_error_of<sip_registration>(hex("01 0004 0001 61 00")) ==
          codec_errc::trailing_bytes);
  }
  SECTION("uri past the length") {
    CHECK(test::decode_error_of<sip_registration>(hex("01 0003 0005 6161 6161 61")) ==
          codec_errc::length_past_end);
  }
  SECTION("length past the end") {
    CHECK(test::decode_error_of<sip_registration>(hex("01 0010 0001 61")) ==
          codec_errc::length_past_end);
  }
  SECTION("an invalid Destination in the list") {
    CHECK(test::decode_error_of<sip_registration>(hex("02 0007 0000 0003 00 01 00")) ==
          codec_errc::unknown_type);
  }
  SECTION("a uri longer than 2^16-1 cannot be encoded") {
    CHECK(
        to_bytes(sip_registration{sip_registration_uri{std::string(0x10000, 'a')}}).error().code ==
        codec_errc::too_long_to_encode);
  }
}
