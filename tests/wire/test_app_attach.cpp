#include "wire/app_attach.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

app_attach_req sample() {
  ice_candidate c;
  c.addr_port = {ipv4_addr_port{0xc0000201, 6084}};
  c.overlay_link = overlay_link_type::tls_tcp_fh_no_ice;
  c.foundation = {'1'};
  c.priority = 0x7effffff;
  c.type = cand_type::host;

  app_attach_req a;
  a.ufrag = {'a', 'b'};
  a.password = {'p', 'w'};
  a.application = application_id{5060};
  a.role = {'p', 'a', 's', 's', 'i', 'v', 'e'};
  a.candidates = {c};
  return a;
}

const auto golden =
    hex("02 6162"              // ufrag "ab"
        "02 7077"              // password "pw"
        "13c4"                 // application: 5060, SIP
        "07 70617373697665"    // role "passive"
        "0012"                 // candidates: 18 bytes
        "01 06 c0000201 17c4"  //   addr_port 192.0.2.1:6084
        "04"                   //   overlay_link TLS-TCP-FH-NO-ICE
        "01 31"                //   foundation "1"
        "7effffff"             //   priority
        "01"                   //   type host
        "0000");               //   extensions: none

}  // namespace

TEST_CASE("AppAttachReq: application sits between password and role") {
  CHECK(test::round_trip(sample()) == golden);
  test::check_every_truncation_fails<app_attach_req>(golden);
  test::check_trailing_byte_fails<app_attach_req>(golden);
}

TEST_CASE("AppAttachAns: the same layout, with no send_update") {
  app_attach_ans ans = sample();
  ans.role = {'a', 'c', 't', 'i', 'v', 'e'};
  ans.candidates.clear();
  CHECK(test::round_trip(ans) == hex("02 6162 02 7077 13c4 06 616374697665 0000"));
}

TEST_CASE("AppAttach: malformed inputs") {
  auto bytes = golden;
  SECTION("role length past the end") {
    CHECK(test::decode_error_of<app_attach_req>(hex("02 6162 02 7077 13c4 08 7061")) ==
          codec_errc::length_past_end);
  }
  SECTION("candidates length past the end") {
    bytes[17] = 0x13;
    CHECK(test::decode_error_of<app_attach_req>(bytes) == codec_errc::length_past_end);
  }
  SECTION("a candidate with the reserved CandType") {
    bytes[18 + 15] = 0x03;
    CHECK(test::decode_error_of<app_attach_req>(bytes) == codec_errc::unknown_type);
  }
  SECTION("encoding a role over 255 bytes") {
    auto a = sample();
    a.role.assign(256, 'r');
    auto r = to_bytes(a);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == codec_errc::too_long_to_encode);
  }
}
