#include "wire/message.hpp"

#include <algorithm>

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

constexpr std::size_t max_size = 1500;

node_id sample_node() { return *node_id::from_hex("000102030405060708090a0b0c0d0e0f"); }

// A PingReq to one node, signed with cert_hash over a one-certificate bucket.
message ping_message() {
  message m;
  m.header.overlay = overlay_hash{0x01020304};
  m.header.configuration_sequence = config_sequence{5};
  m.header.transaction_id = transaction_id{0x1122334455667788};
  m.header.destination_list.push_back(destination::node(sample_node()));
  m.contents = message_contents{message_code::ping_req, hex("0000"), {}};
  m.security.certificates.push_back(generic_certificate{0, hex("c0ffee")});
  m.security.signature = signature{
      {hash_algorithm::sha256, signature_algorithm::ecdsa},
      signer_identity{static_cast<std::uint8_t>(signer_identity_type::cert_hash),
                      hash_algorithm::sha256, hex("a1a2a3a4")},
      hex("5151")};
  return m;
}

constexpr std::size_t header_size = 38 + 18;

// Derived from RFC 6940 §6.3.2, §6.3.3, §6.3.4 and §6.5.3.1 by hand.
std::vector<std::uint8_t> ping_golden() {
  return hex(
      // ForwardingHeader
      "d2454c4f"          // relo_token "RELO" | 0x80000000
      "01020304"          // overlay
      "0005"              // configuration_sequence
      "0a"                // version 1.0
      "64"                // ttl 100
      "c0000000"          // fragment: last fragment, offset 0
      "0000005b"          // length: 56 + 12 + 23 = 91 bytes
      "1122334455667788"  // transaction_id
      "00000000"          // max_response_length
      "0000"              // via_list_length
      "0012"              // destination_list_length
      "0000"              // options_length
      "01 10 000102030405060708090a0b0c0d0e0f"  // Destination node
      // MessageContents
      "0017"              // message_code ping_req
      "00000002"          // message_body length
      "0000"              //   PingReq.padding<0..2^16-1>: empty
      "00000000"          // extensions: none
      // SecurityBlock
      "0006"              // certificates length in bytes
      "00 0003 c0ffee"    //   GenericCertificate X.509, 3 bytes
      "04 03"             // SignatureAndHashAlgorithm sha256, ecdsa
      "01 0006"           // SignerIdentity cert_hash, 6 bytes
      "04 04 a1a2a3a4"    //   hash_alg sha256, certificate_hash
      "0002 5151"         // signature_value
  );
}

std::vector<std::uint8_t> with_byte(std::vector<std::uint8_t> bytes, std::size_t at,
                                    std::uint8_t value) {
  bytes.at(at) = value;
  return bytes;
}

codec_errc decode_message_error(const std::vector<std::uint8_t>& bytes, std::size_t max = max_size) {
  auto m = decode_message(bytes, max);
  REQUIRE_FALSE(m.has_value());
  return m.error().code;
}

}  // namespace

TEST_CASE("Message: a PingReq matches the hand-derived bytes") {
  const auto golden = ping_golden();
  REQUIRE(golden.size() == 0x5b);

  // header.length is left at 0: the encoder fills in the real size.
  auto bytes = to_bytes(ping_message());
  REQUIRE(bytes);
  CHECK(*bytes == golden);

  auto decoded = decode_message(golden, max_size);
  REQUIRE(decoded);
  auto expected = ping_message();
  expected.header.length = 0x5b;
  CHECK(*decoded == expected);
  CHECK(test::round_trip(expected) == golden);
}

TEST_CASE("Message: every truncation and a trailing byte fail") {
  const auto golden = ping_golden();
  test::check_every_truncation_fails<message>(golden);
  test::check_trailing_byte_fails<message>(golden);
  for (std::size_t n = 0; n < golden.size(); ++n) {
    INFO("prefix length " << n);
    const auto code =
        decode_message_error(std::vector<std::uint8_t>(golden.begin(), golden.begin() + n));
    CHECK((code == codec_errc::truncated || code == codec_errc::length_past_end));
  }
  auto longer = golden;
  longer.push_back(0);
  CHECK(decode_message_error(longer) == codec_errc::trailing_bytes);
}

TEST_CASE("Message: header checks") {
  const auto golden = ping_golden();
  SECTION("relo_token") {
    CHECK(decode_message_error(with_byte(golden, 3, 0x50)) == codec_errc::bad_token);
  }
  SECTION("version") {
    CHECK(decode_message_error(with_byte(golden, 10, 0x01)) == codec_errc::unsupported_version);
  }
  SECTION("length longer than the buffer") {
    CHECK(decode_message_error(with_byte(golden, 19, 0x5c)) == codec_errc::length_past_end);
  }
  SECTION("length shorter than the buffer") {
    CHECK_FALSE(decode_message(with_byte(golden, 19, 0x5a), max_size).has_value());
  }
  SECTION("length shorter than the fixed header") {
    CHECK(decode_message_error(with_byte(golden, 19, 0x25)) == codec_errc::invalid_value);
  }
  SECTION("a bad signature inside a good frame") {
    CHECK(decode_message_error(with_byte(golden, 76, 0x07)) == codec_errc::unknown_type);
  }
}

TEST_CASE("Message: the size limit is checked before the lists are parsed") {
  const auto golden = ping_golden();
  SECTION("buffer over the limit") {
    CHECK(decode_message_error(golden, golden.size() - 1) == codec_errc::message_too_large);
    CHECK(decode_message(golden, golden.size()).has_value());
  }
  SECTION("length field over the limit, with a garbage list behind it") {
    auto bytes = with_byte(golden, 17, 0x10);  // length 0x0010005b
    bytes[38] = 0x00;                          // invalidDestinationType
    CHECK(decode_message_error(bytes) == codec_errc::message_too_large);
    CHECK(decode_forwarding_part(bytes, max_size).error().code == codec_errc::message_too_large);
  }
}

TEST_CASE("Message: header-only decode for forwarding") {
  const auto golden = ping_golden();
  auto forwarded = decode_forwarding_part(golden, max_size);
  REQUIRE(forwarded);
  auto expected_header = ping_message().header;
  expected_header.length = 0x5b;
  CHECK(forwarded->header == expected_header);
  CHECK(std::equal(forwarded->payload.begin(), forwarded->payload.end(),
                   golden.begin() + header_size, golden.end()));
  CHECK(forwarded->payload.size() == golden.size() - header_size);

  // The payload is not parsed: a broken signature still forwards.
  const auto broken = with_byte(golden, 76, 0x07);
  CHECK(decode_forwarding_part(broken, max_size).has_value());
  CHECK(decode_forwarding_part(with_byte(golden, 19, 0x5c), max_size).error().code ==
        codec_errc::length_past_end);
}

TEST_CASE("Message: re-encoding with a changed header keeps the payload bytes") {
  const auto golden = ping_golden();
  auto forwarded = decode_forwarding_part(golden, max_size);
  REQUIRE(forwarded);
  auto header = forwarded->header;
  header.ttl -= 1;
  header.via_list.push_back(destination{compressed_id{0x8042}});
  header.destination_list.erase(header.destination_list.begin());

  auto bytes = encode_forwarded(header, forwarded->payload);
  REQUIRE(bytes);
  // One compressed via (2 bytes) in, one node destination (18 bytes) out.
  CHECK(bytes->size() == golden.size() + 2 - 18);
  CHECK(std::equal(bytes->end() - static_cast<std::ptrdiff_t>(forwarded->payload.size()),
                   bytes->end(), forwarded->payload.begin()));

  auto decoded = decode_message(*bytes, max_size);
  REQUIRE(decoded);
  header.length = static_cast<std::uint32_t>(bytes->size());
  CHECK(decoded->header == header);
  CHECK(decoded->contents == ping_message().contents);
  CHECK(decoded->security == ping_message().security);
}

TEST_CASE("Message: messages with lists, options, extensions and no certificate") {
  auto m = ping_message();
  m.header.via_list.push_back(destination::node(sample_node()));
  m.header.options.push_back(forwarding_option{1, forwarding_option::destination_critical, {}});
  m.contents.extensions.push_back(message_extension{1, true, hex("01")});
  m.security.certificates.clear();
  m.security.signature.identity =
      signer_identity{static_cast<std::uint8_t>(signer_identity_type::none),
                      hash_algorithm::sha256, {}};
  auto bytes = to_bytes(m);
  REQUIRE(bytes);
  m.header.length = static_cast<std::uint32_t>(bytes->size());
  auto back = decode_message(*bytes, max_size);
  REQUIRE(back);
  CHECK(*back == m);
  test::check_every_truncation_fails<message>(*bytes);
}

TEST_CASE("Message: an error in any part fails the encoding") {
  auto bad_header = ping_message();
  bad_header.header.fragment = 0;
  CHECK_FALSE(to_bytes(bad_header).has_value());
  auto bad_contents = ping_message();
  bad_contents.contents.code = message_code::invalid;
  CHECK_FALSE(to_bytes(bad_contents).has_value());
  auto bad_security = ping_message();
  bad_security.security.signature.identity.type = 0;
  CHECK_FALSE(to_bytes(bad_security).has_value());
}
