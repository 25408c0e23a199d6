// The STUN codec against every RFC 5769 vector, byte for byte, and against
// malformed input.
#include <catch2/catch.hpp>

#include "nat/stun_attributes.hpp"
#include "nat/stun_crypto.hpp"
#include "nat/stun_message.hpp"
#include "nat_test_util.hpp"

using namespace p2psip::nat;
using p2psip::nat::test::endpoint;
using p2psip::nat::test::hex;

namespace {

// RFC 5769 §2.1-§2.4, as printed there.
const auto sample_request = hex(
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf");
const auto sample_ipv4_response = hex(
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 08 00 01 a1 47 e1 12 a6 43"
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04 c0 7d 4c 96");
const auto sample_ipv6_response = hex(
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04 c8 fb 0b 4c");
const auto sample_long_term_request = hex(
    "00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
    "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
    "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46"
    "53 54 76 79 36 34 73 41"
    "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
    "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66");

const std::string short_term_password = "VOkJxbRl1RmTxUk/WvJxBt";
constexpr std::uint8_t space = 0x20;  // the vectors pad with spaces

stun_message must_parse(const std::vector<std::uint8_t>& bytes) {
  auto m = parse_stun(bytes);
  INFO((m ? "" : m.error().describe()));
  REQUIRE(m);
  return std::move(*m);
}

// A copy of the vector with one byte changed.
std::vector<std::uint8_t> with(std::vector<std::uint8_t> bytes, std::size_t at, std::uint8_t v) {
  bytes[at] = v;
  return bytes;
}

}  // namespace

TEST_CASE("RFC 5769 2.1: the sample request parses, verifies and re-encodes") {
  const auto m = must_parse(sample_request);
  CHECK(m.klass == stun_class::request);
  CHECK(m.method == stun_method::binding);
  REQUIRE(m.find(attribute::software));
  CHECK(read_string(*m.find(attribute::software)) == "STUN test client");
  CHECK(read_string(*m.find(attribute::username)) == "evtj:h6vY");
  CHECK(integrity_valid(m, text_bytes(short_term_password)));
  CHECK_FALSE(integrity_valid(m, text_bytes("VOkJxbRl1RmTxUk/WvJxBu")));

  stun_writer w(stun_class::request, stun_method::binding, m.id, space);
  add_string(w, attribute::software, "STUN test client");
  w.add(0x0024, m.find(0x0024)->value);  // PRIORITY
  w.add(0x8029, m.find(0x8029)->value);  // ICE-CONTROLLED
  add_string(w, attribute::username, "evtj:h6vY");
  w.add_message_integrity(text_bytes(short_term_password));
  w.add_fingerprint();
  CHECK(w.bytes() == sample_request);
}

TEST_CASE("RFC 5769 2.2 and 2.3: the sample responses parse, verify and re-encode") {
  const auto [bytes, mapped] = GENERATE(
      std::pair{sample_ipv4_response, endpoint("192.0.2.1", 32853)},
      std::pair{sample_ipv6_response, endpoint("2001:db8:1234:5678:11:2233:4455:6677", 32853)});
  const auto m = must_parse(bytes);
  CHECK(m.klass == stun_class::success);
  CHECK(m.method == stun_method::binding);
  CHECK(read_string(*m.find(attribute::software)) == "test vector");
  const auto address = read_xor_address(*m.find(attribute::xor_mapped_address), m.id);
  REQUIRE(address);
  CHECK(*address == mapped);
  CHECK(integrity_valid(m, text_bytes(short_term_password)));

  stun_writer w(stun_class::success, stun_method::binding, m.id, space);
  add_string(w, attribute::software, "test vector");
  add_xor_address(w, attribute::xor_mapped_address, mapped, m.id);
  w.add_message_integrity(text_bytes(short_term_password));
  w.add_fingerprint();
  CHECK(w.bytes() == bytes);
}

TEST_CASE("RFC 5769 2.4: the long-term request verifies with MD5(user:realm:SASLprep(pass))") {
  const auto m = must_parse(sample_long_term_request);
  const std::string username = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
  CHECK(read_string(*m.find(attribute::username)) == username);
  CHECK(read_string(*m.find(attribute::realm)) == "example.org");
  const std::string nonce = "f//499k954d6OL34oL9FSTvy64sA";
  CHECK(read_string(*m.find(attribute::nonce)) == nonce);
  // "TheMatrIX" is the password after SASLprep, which the vector states.
  const auto key = long_term_key(username, "example.org", "TheMatrIX");
  CHECK(integrity_valid(m, key));
  CHECK_FALSE(m.find(attribute::fingerprint));

  stun_writer w(stun_class::request, stun_method::binding, m.id);
  add_string(w, attribute::username, username);
  add_string(w, attribute::nonce, nonce);
  add_string(w, attribute::realm, "example.org");
  w.add_message_integrity(key);
  CHECK(w.bytes() == sample_long_term_request);
}

TEST_CASE("malformed STUN is refused with what was wrong") {
  SECTION("shorter than a header") {
    CHECK(parse_stun(hex("00 01 00 00 21 12 a4 42")).error().code == stun_errc::truncated);
  }
  SECTION("bad magic cookie") {
    CHECK(parse_stun(with(sample_request, 4, 0x22)).error().code == stun_errc::not_stun);
  }
  SECTION("top two bits set") {
    CHECK(parse_stun(with(sample_request, 0, 0x40)).error().code == stun_errc::not_stun);
  }
  SECTION("length not the size of the input") {
    CHECK(parse_stun(with(sample_request, 3, 0x5c)).error().code == stun_errc::bad_length);
    auto longer = sample_request;
    longer.insert(longer.end(), {0, 0, 0, 0});
    CHECK(parse_stun(longer).error().code == stun_errc::bad_length);
  }
  SECTION("length not a multiple of 4") {
    auto odd = sample_request;
    odd.push_back(0);
    odd[3] = 0x59;
    CHECK(parse_stun(odd).error().code == stun_errc::bad_length);
  }
  SECTION("an attribute running past the end") {
    // USERNAME, at byte 0x3c, claims 0x40 bytes.
    const auto e = parse_stun(with(sample_request, 0x3f, 0x40));
    CHECK(e.error().code == stun_errc::attribute_past_end);
    CHECK(e.error().offset == 0x3c);
  }
  SECTION("an attribute whose padding is missing") {
    // A 1-byte SOFTWARE at the end of a 4-byte-aligned message: no room to pad.
    auto bytes = hex("00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00"
                     "80 22 00 01 41 00 00 00");
    CHECK(parse_stun(bytes));
    bytes[23] = 5;  // 5 bytes would need 8 with padding; only 4 are there
    CHECK(parse_stun(bytes).error().code == stun_errc::attribute_past_end);
  }
  SECTION("wrong fingerprint") {
    const auto e = parse_stun(with(sample_request, sample_request.size() - 1, 0xd0));
    CHECK(e.error().code == stun_errc::fingerprint_mismatch);
  }
  SECTION("FINGERPRINT not last") {
    auto bytes = sample_request;
    bytes.insert(bytes.end(), {0x80, 0x22, 0x00, 0x00});
    bytes[3] += 4;
    CHECK(parse_stun(bytes).error().code == stun_errc::fingerprint_not_last);
  }
  SECTION("wrong integrity still parses, and does not verify") {
    const auto bytes = with(sample_long_term_request, sample_long_term_request.size() - 1, 0);
    const auto m = must_parse(bytes);
    CHECK_FALSE(integrity_valid(m, long_term_key("x", "example.org", "TheMatrIX")));
    CHECK_FALSE(integrity_valid(m, text_bytes("anything")));
  }
  SECTION("bad attribute values") {
    CHECK(read_xor_address({attribute::xor_mapped_address, hex("00 03 00 00 01 02 03 04")}, {})
              .error().code == stun_errc::bad_attribute);
    CHECK_FALSE(read_address({attribute::mapped_address, hex("00 01 00 00 01 02 03")}));
    CHECK_FALSE(read_error_code({attribute::error_code, hex("00 00 07 00")}));
    CHECK_FALSE(read_u32({attribute::lifetime, hex("00 00 00")}));
    CHECK_FALSE(read_unknown_attributes({attribute::unknown_attributes, hex("00 01 00")}));
  }
}

TEST_CASE("attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored") {
  stun_writer w(stun_class::request, stun_method::binding, test::make_id(1));
  add_string(w, attribute::username, "u");
  w.add_message_integrity(text_bytes("p"));
  add_string(w, attribute::software, "after");
  w.add_fingerprint();
  const auto bytes = w.bytes();
  const auto m = must_parse(bytes);
  CHECK_FALSE(m.find(attribute::software));
  CHECK(m.find(attribute::fingerprint));
  CHECK(integrity_valid(m, text_bytes("p")));
}

TEST_CASE("duplicate attributes: the first one counts") {
  stun_writer w(stun_class::request, stun_method::binding, test::make_id(2));
  add_string(w, attribute::software, "first");
  add_string(w, attribute::software, "second");
  const auto bytes = w.bytes();
  const auto m = must_parse(bytes);
  CHECK(read_string(*m.find(attribute::software)) == "first");
  CHECK(m.attributes.size() == 2);
}

TEST_CASE("every attribute writer round-trips through its reader") {
  const auto id = test::make_id(3);
  stun_writer w(stun_class::error, stun_method::allocate, id);
  add_address(w, attribute::mapped_address, endpoint("10.1.2.3", 4000));
  add_xor_address(w, attribute::xor_peer_address, endpoint("2001:db8::1", 5000), id);
  add_xor_address(w, attribute::xor_relayed_address, endpoint("192.0.2.9", 49152), id);
  add_error_code(w, 438, "Stale Nonce");
  const std::uint16_t unknown[] = {0x0003, 0x7777};
  add_unknown_attributes(w, unknown);
  add_u32(w, attribute::lifetime, 600);
  add_channel_number(w, 0x4001);
  add_requested_transport(w, protocol_udp);
  add_even_port(w, true);
  add_reservation_token(w, 0x0102030405060708);
  add_dont_fragment(w);
  w.add(attribute::data, text_bytes("hello"));
  w.add_fingerprint();
  const auto bytes = w.bytes();
  const auto m = must_parse(bytes);
  CHECK(m.klass == stun_class::error);
  CHECK(m.method == stun_method::allocate);
  CHECK(*read_address(*m.find(attribute::mapped_address)) == endpoint("10.1.2.3", 4000));
  CHECK(*read_xor_address(*m.find(attribute::xor_peer_address), id) == endpoint("2001:db8::1", 5000));
  CHECK(*read_xor_address(*m.find(attribute::xor_relayed_address), id) ==
        endpoint("192.0.2.9", 49152));
  const auto error = read_error_code(*m.find(attribute::error_code));
  CHECK(error->code == 438);
  CHECK(error->reason == "Stale Nonce");
  CHECK(*read_unknown_attributes(*m.find(attribute::unknown_attributes)) ==
        std::vector<std::uint16_t>{0x0003, 0x7777});
  CHECK(*read_u32(*m.find(attribute::lifetime)) == 600);
  CHECK(*read_channel_number(*m.find(attribute::channel_number)) == 0x4001);
  CHECK(*read_requested_transport(*m.find(attribute::requested_transport)) == protocol_udp);
  CHECK(*read_even_port(*m.find(attribute::even_port)));
  CHECK(*read_reservation_token(*m.find(attribute::reservation_token)) == 0x0102030405060708);
  CHECK(m.find(attribute::dont_fragment)->value.empty());
  CHECK(read_string(*m.find(attribute::data)) == "hello");
}

TEST_CASE("method and class bits interleave as RFC 5389 figure 3 draws them") {
  const auto id = test::make_id(4);
  for (auto klass : {stun_class::request, stun_class::indication, stun_class::success,
                     stun_class::error}) {
    for (std::uint16_t method : {stun_method::binding, stun_method::channel_bind, std::uint16_t{0xFFF}}) {
      const auto bytes = stun_writer(klass, method, id).bytes();
      const auto m = must_parse(bytes);
      CHECK(m.klass == klass);
      CHECK(m.method == method);
    }
  }
  CHECK(stun_writer(stun_class::success, stun_method::allocate, id).bytes()[1] == 0x03);
  CHECK(stun_writer(stun_class::success, stun_method::allocate, id).bytes()[0] == 0x01);
  CHECK(stun_writer(stun_class::indication, stun_method::data, id).bytes()[1] == 0x17);
}
