#include "wire/forwarding_header.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

node_id sample_node() { return *node_id::from_hex("000102030405060708090a0b0c0d0e0f"); }

forwarding_header sample_header() {
  forwarding_header h;
  h.overlay = overlay_hash{0x01020304};
  h.configuration_sequence = config_sequence{5};
  h.ttl = 100;
  h.length = 0x5d;
  h.transaction_id = transaction_id{0x1122334455667788};
  h.destination_list.push_back(destination::node(sample_node()));
  return h;
}

// The fixed part of sample_header(), up to options_length.
const char* const sample_fixed_part =
    "d2454c4f"          // relo_token
    "01020304"          // overlay
    "0005"              // configuration_sequence
    "0a"                // version 1.0
    "64"                // ttl 100
    "c0000000"          // fragment: last, offset 0
    "0000005d"          // length
    "1122334455667788"  // transaction_id
    "00000000"          // max_response_length
    "0000"              // via_list_length
    "0012"              // destination_list_length: one node Destination
    "0000";             // options_length

std::vector<std::uint8_t> sample_bytes() {
  auto bytes = hex(sample_fixed_part);
  const auto node = hex("01 10 000102030405060708090a0b0c0d0e0f");
  bytes.insert(bytes.end(), node.begin(), node.end());
  return bytes;
}

// sample_bytes() with byte `at` replaced.
std::vector<std::uint8_t> sample_with(std::size_t at, std::uint8_t value) {
  auto bytes = sample_bytes();
  bytes.at(at) = value;
  return bytes;
}

codec_errc encode_error_of(const forwarding_header& h) {
  auto bytes = to_bytes(h);
  REQUIRE_FALSE(bytes.has_value());
  return bytes.error().code;
}

}  // namespace

TEST_CASE("ForwardingHeader: fixed part then one destination") {
  const auto golden = sample_bytes();
  REQUIRE(golden.size() == forwarding_header_fixed_size + 18);
  CHECK(test::round_trip(sample_header()) == golden);
  test::check_every_truncation_fails<forwarding_header>(golden);
  test::check_trailing_byte_fails<forwarding_header>(golden);
}

TEST_CASE("ForwardingHeader: via list, destination list and options") {
  auto h = sample_header();
  h.via_list.push_back(destination{compressed_id{0x8001}});
  h.destination_list.push_back(destination::resource(*resource_id::from_span(hex("464f4f"))));
  h.options.push_back(forwarding_option{1, forwarding_option::forward_critical |
                                               forwarding_option::response_copy,
                                        hex("abcd")});
  h.max_response_length = 0x1000;
  h.fragment = *make_fragment(false, 0x200);
  const auto golden = hex(
      "d2454c4f 01020304 0005 0a 64"
      "80000200"          // fragment: not last, offset 0x200
      "0000005d 1122334455667788"
      "00001000"          // max_response_length
      "0002"              // via_list_length: one compressed id
      "0018"              // destination_list_length: node (18) + resource (6)
      "0006"              // options_length
      "8001"              // via: compressed
      "01 10 000102030405060708090a0b0c0d0e0f"
      "02 04 03 464f4f"   // resource "FOO"
      "01 05 0002 abcd"   // exp-forward, FORWARD_CRITICAL|RESPONSE_COPY
  );
  CHECK(test::round_trip(h) == golden);
  test::check_every_truncation_fails<forwarding_header>(golden);
  test::check_trailing_byte_fails<forwarding_header>(golden);
}

TEST_CASE("ForwardingOption: an unknown type is carried with its flags") {
  const auto golden = hex("c8 03 0001 ff");
  const forwarding_option o{0xc8,
                            forwarding_option::forward_critical |
                                forwarding_option::destination_critical,
                            hex("ff")};
  CHECK(test::round_trip(o) == golden);
  test::check_every_truncation_fails<forwarding_option>(golden);
  test::check_trailing_byte_fails<forwarding_option>(golden);
  CHECK(test::round_trip(forwarding_option{1, 0, {}}) == hex("01 00 0000"));
}

TEST_CASE("Fragment field helpers") {
  CHECK(unfragmented == 0xc0000000);
  CHECK(make_fragment(true, 0) == unfragmented);
  CHECK(make_fragment(false, 0x123456) == 0x80123456u);
  CHECK_FALSE(make_fragment(true, 0x1000000).has_value());
  CHECK(is_last_fragment(unfragmented));
  CHECK_FALSE(is_last_fragment(0x80000010));
  CHECK(fragment_offset(0xc0000010) == 0x10);
  // Reserved bits are ignored by the helpers and kept by the codec.
  CHECK(fragment_offset(0xff000001) == 1);
  auto h = from_bytes<forwarding_header>(sample_with(12, 0xff));
  REQUIRE(h);
  CHECK(h->fragment == 0xff000000);
}

TEST_CASE("ForwardingHeader: malformed inputs") {
  SECTION("relo_token") {
    CHECK(test::decode_error_of<forwarding_header>(sample_with(0, 0x52)) == codec_errc::bad_token);
  }
  SECTION("version other than 1.0") {
    CHECK(test::decode_error_of<forwarding_header>(sample_with(10, 0x01)) ==
          codec_errc::unsupported_version);
    CHECK(test::decode_error_of<forwarding_header>(sample_with(10, 0x0b)) ==
          codec_errc::unsupported_version);
  }
  SECTION("fragment high bit clear") {
    CHECK(test::decode_error_of<forwarding_header>(sample_with(12, 0x40)) ==
          codec_errc::invalid_value);
  }
  SECTION("via_list_length past the end") {
    CHECK(test::decode_error_of<forwarding_header>(sample_with(32, 0x01)) ==
          codec_errc::length_past_end);
  }
  SECTION("destination_list_length past the end") {
    CHECK(test::decode_error_of<forwarding_header>(sample_with(35, 0x13)) ==
          codec_errc::length_past_end);
  }
  SECTION("destination_list_length cutting a destination short") {
    auto bytes = sample_with(35, 0x11);
    bytes.push_back(0x00);  // keep the total size, move one byte out of the list
    CHECK(test::decode_error_of<forwarding_header>(bytes) == codec_errc::length_past_end);
  }
  SECTION("options_length past the end") {
    CHECK(test::decode_error_of<forwarding_header>(sample_with(37, 0x01)) ==
          codec_errc::length_past_end);
  }
  SECTION("invalidDestinationType in the destination list") {
    CHECK(test::decode_error_of<forwarding_header>(sample_with(38, 0x00)) ==
          codec_errc::unknown_type);
  }
  SECTION("invalidForwardingOptionType") {
    auto bytes = sample_with(37, 0x04);
    for (auto b : hex("00 00 0000")) bytes.push_back(b);
    CHECK(test::decode_error_of<forwarding_header>(bytes) == codec_errc::unknown_type);
  }
  SECTION("an option running past options_length") {
    auto bytes = sample_with(37, 0x05);
    for (auto b : hex("01 00 0002 ab")) bytes.push_back(b);
    CHECK(test::decode_error_of<forwarding_header>(bytes) == codec_errc::length_past_end);
  }
}

TEST_CASE("ForwardingHeader: values that cannot be encoded") {
  SECTION("fragment without the high bit") {
    auto h = sample_header();
    h.fragment = fragment_last_bit;
    CHECK(encode_error_of(h) == codec_errc::invalid_value);
  }
  SECTION("a destination list over 2^16-1 bytes") {
    auto h = sample_header();
    h.destination_list.assign(0x10000 / 18 + 1, destination::node(sample_node()));
    CHECK(encode_error_of(h) == codec_errc::too_long_to_encode);
  }
  SECTION("a via list over 2^16-1 bytes") {
    auto h = sample_header();
    h.via_list.assign(0x8000, destination{compressed_id{0x8001}});
    CHECK(encode_error_of(h) == codec_errc::too_long_to_encode);
  }
  SECTION("options over 2^16-1 bytes") {
    auto h = sample_header();
    h.options.assign(2, forwarding_option{1, 0, std::vector<std::uint8_t>(0x8000, 0)});
    CHECK(encode_error_of(h) == codec_errc::too_long_to_encode);
  }
  SECTION("an option value over 2^16-1 bytes") {
    auto bytes = to_bytes(forwarding_option{1, 0, std::vector<std::uint8_t>(0x10000, 0)});
    REQUIRE_FALSE(bytes.has_value());
    CHECK(bytes.error().code == codec_errc::too_long_to_encode);
  }
  SECTION("invalidForwardingOptionType") {
    auto h = sample_header();
    h.options.push_back(forwarding_option{0, 0, {}});
    CHECK(encode_error_of(h) == codec_errc::invalid_value);
  }
}
