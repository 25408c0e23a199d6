#include "wire/update.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

TEST_CASE("UpdateReq: the whole body is the overlay's, with no framing of its own") {
  const auto body = hex("00000e10 01");  // a CHORD peer_ready update, carried verbatim
  CHECK(test::round_trip(update_req{body}) == body);
  CHECK(test::round_trip(update_req{}).empty());
}

TEST_CASE("UpdateReq: decoding takes every byte, so any prefix is its own body") {
  const auto body = hex("00000e10 02 0000 0000");
  for (std::size_t n = 0; n <= body.size(); ++n) {
    auto req = from_bytes<update_req>(bytes_view(body.data(), n));
    REQUIRE(req);
    CHECK(req->overlay_specific_data == std::vector<std::uint8_t>(body.begin(), body.begin() + n));
  }
}

TEST_CASE("UpdateAns: empty, and nothing may follow") {
  CHECK(test::round_trip(update_ans{}).empty());
  test::check_trailing_byte_fails<update_ans>({});
  byte_reader r(hex("00"));
  update_ans ans;
  decode(r, ans);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error()->code == codec_errc::trailing_bytes);
}
