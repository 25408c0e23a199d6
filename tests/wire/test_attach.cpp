#include "wire/attach.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

ip_address_port v4(std::uint32_t addr, std::uint16_t port) { return {ipv4_addr_port{addr, port}}; }

ice_candidate host_candidate() {
  ice_candidate c;
  c.addr_port = v4(0xc0000201, 6084);
  c.overlay_link = overlay_link_type::tls_tcp_fh_no_ice;
  c.foundation = {'1'};
  c.priority = 0x7effffff;
  c.type = cand_type::host;
  return c;
}

const char* const host_candidate_hex =
    "01 06 c0000201 17c4"  // addr_port: IPv4, length 6, 192.0.2.1:6084
    "04"                   // overlay_link: TLS-TCP-FH-NO-ICE
    "01 31"                // foundation "1"
    "7effffff"             // priority
    "01"                   // type: host, so no rel_addr_port
    "0000";                // extensions: none

ice_candidate srflx_candidate() {
  ice_candidate c;
  c.addr_port = v4(0xc6336407, 40000);
  c.overlay_link = overlay_link_type::dtls_udp_sr;
  c.foundation = {'2'};
  c.priority = 0x64ffffff;
  c.type = cand_type::srflx;
  c.rel_addr_port = v4(0xc0000201, 6084);
  c.extensions = {ice_extension{{'k'}, {'v'}}};
  return c;
}

const char* const srflx_candidate_hex =
    "01 06 c6336407 9c40"  // addr_port: 198.51.100.7:40000
    "01"                   // overlay_link: DTLS-UDP-SR
    "01 32"                // foundation "2"
    "64ffffff"             // priority
    "02"                   // type: srflx
    "01 06 c0000201 17c4"  // rel_addr_port: 192.0.2.1:6084
    "0006"                 // extensions length in bytes
    "0001 6b 0001 76";     // IceExtension name "k", value "v"

attach_req_ans sample_attach() {
  attach_req_ans a;
  a.ufrag = {'a', 'b'};
  a.password = {'p', 'w'};
  a.role = {'p', 'a', 's', 's', 'i', 'v', 'e'};
  a.candidates = {host_candidate(), srflx_candidate()};
  a.send_update = true;
  return a;
}

std::vector<std::uint8_t> sample_attach_bytes() {
  return hex(std::string("02 6162"            // ufrag "ab"
                         "02 7077"            // password "pw"
                         "07 70617373697665"  // role "passive"
                         "0032") +            // candidates: 18 + 32 bytes
             host_candidate_hex +
             srflx_candidate_hex + "01");  // send_update: True
}

codec_errc encode_error_of(const ice_candidate& c) {
  auto r = to_bytes(c);
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

}  // namespace

TEST_CASE("IceCandidate: host has no related address") {
  const auto golden = hex(host_candidate_hex);
  CHECK(test::round_trip(host_candidate()) == golden);
  test::check_every_truncation_fails<ice_candidate>(golden);
  test::check_trailing_byte_fails<ice_candidate>(golden);
}

TEST_CASE("IceCandidate: srflx carries rel_addr_port and extensions") {
  const auto golden = hex(srflx_candidate_hex);
  CHECK(test::round_trip(srflx_candidate()) == golden);
  test::check_every_truncation_fails<ice_candidate>(golden);
  test::check_trailing_byte_fails<ice_candidate>(golden);
}

TEST_CASE("IceCandidate: relay over IPv6 round-trips") {
  ice_candidate c = srflx_candidate();
  c.type = cand_type::relay;
  c.addr_port = {
      ipv6_addr_port{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 3478}};
  const auto bytes = test::round_trip(c);
  CHECK(bytes[0] == 2);               // IPv6 address type
  CHECK(bytes[20 + 1 + 2 + 4] == 4);  // type byte after addr, link, foundation, priority
}

TEST_CASE("IceCandidate: an unassigned overlay link type is kept for the link layer to skip") {
  auto bytes = hex(host_candidate_hex);
  bytes[8] = 0x02;
  auto c = from_bytes<ice_candidate>(bytes);
  REQUIRE(c);
  CHECK(static_cast<int>(c->overlay_link) == 2);
  CHECK(test::round_trip(*c) == bytes);
}

TEST_CASE("IceCandidate: malformed inputs") {
  auto bytes = hex(host_candidate_hex);
  SECTION("invalidOverlayLinkType") {
    bytes[8] = 0x00;
    CHECK(test::decode_error_of<ice_candidate>(bytes) == codec_errc::unknown_type);
  }
  SECTION("invalidCandType") {
    bytes[15] = 0x00;
    CHECK(test::decode_error_of<ice_candidate>(bytes) == codec_errc::unknown_type);
  }
  SECTION("RESERVED(3), prflx in the drafts, has no layout") {
    bytes[15] = 0x03;
    CHECK(test::decode_error_of<ice_candidate>(bytes) == codec_errc::unknown_type);
  }
  SECTION("a CandType past relay") {
    bytes[15] = 0x05;
    CHECK(test::decode_error_of<ice_candidate>(bytes) == codec_errc::unknown_type);
  }
  SECTION("foundation length past the end") {
    CHECK(test::decode_error_of<ice_candidate>(hex("01 06 c0000201 17c4 04 09 31")) ==
          codec_errc::length_past_end);
  }
  SECTION("extensions length past the end") {
    bytes[17] = 0x01;
    CHECK(test::decode_error_of<ice_candidate>(bytes) == codec_errc::length_past_end);
  }
  SECTION("an extension value past the extensions list") {
    auto srflx = hex(srflx_candidate_hex);
    srflx[30] = 0x02;  // value length 2 with one byte left in the list
    CHECK(test::decode_error_of<ice_candidate>(srflx) == codec_errc::length_past_end);
  }
}

TEST_CASE("IceCandidate: the encoder refuses what the select cannot express") {
  auto c = host_candidate();
  SECTION("host with a related address") {
    c.rel_addr_port = v4(1, 1);
    CHECK(encode_error_of(c) == codec_errc::invalid_value);
  }
  SECTION("srflx without one") {
    c.type = cand_type::srflx;
    CHECK(encode_error_of(c) == codec_errc::invalid_value);
  }
  SECTION("the reserved CandType") {
    c.type = static_cast<cand_type>(3);
    CHECK(encode_error_of(c) == codec_errc::invalid_value);
  }
  SECTION("invalidOverlayLinkType") {
    c.overlay_link = overlay_link_type::invalid;
    CHECK(encode_error_of(c) == codec_errc::invalid_value);
  }
  SECTION("a foundation over 255 bytes") {
    c.foundation.assign(256, 'f');
    CHECK(encode_error_of(c) == codec_errc::too_long_to_encode);
  }
  SECTION("extensions over 2^16-1 bytes") {
    c.extensions = {ice_extension{{}, std::vector<std::uint8_t>(0xfffc)}};
    CHECK(encode_error_of(c) == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("AttachReqAns: golden request with two candidates") {
  const auto golden = sample_attach_bytes();
  CHECK(test::round_trip(sample_attach()) == golden);
  test::check_every_truncation_fails<attach_req_ans>(golden);
  test::check_trailing_byte_fails<attach_req_ans>(golden);
}

TEST_CASE("AttachReqAns: malformed inputs") {
  auto bytes = sample_attach_bytes();
  SECTION("send_update is a Boolean") {
    bytes.back() = 0x02;
    CHECK(test::decode_error_of<attach_req_ans>(bytes) == codec_errc::invalid_value);
  }
  SECTION("candidates length past the end") {
    bytes[15] = 0x34;  // 52 bytes; only 51 follow, send_update included
    CHECK(test::decode_error_of<attach_req_ans>(bytes) == codec_errc::length_past_end);
  }
  SECTION("a candidate with an unknown type inside the list") {
    bytes[16 + 15] = 0x07;
    CHECK(test::decode_error_of<attach_req_ans>(bytes) == codec_errc::unknown_type);
  }
  SECTION("ufrag length past the end") {
    CHECK(test::decode_error_of<attach_req_ans>(hex("05 6162")) == codec_errc::length_past_end);
  }
}

TEST_CASE("AttachReqAns: the encoder enforces every bound") {
  auto a = sample_attach();
  SECTION("ufrag over 255 bytes") { a.ufrag.assign(256, 'u'); }
  SECTION("password over 255 bytes") { a.password.assign(256, 'p'); }
  SECTION("role over 255 bytes") { a.role.assign(256, 'r'); }
  SECTION("candidates over 2^16-1 bytes") {
    // One candidate of 18 + 4 + 0xfff0 bytes: its extensions fit, the list does not.
    a.candidates = {host_candidate()};
    a.candidates[0].extensions = {ice_extension{{}, std::vector<std::uint8_t>(0xfff0)}};
  }
  auto r = to_bytes(a);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == codec_errc::too_long_to_encode);
}
