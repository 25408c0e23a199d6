#include <catch2/catch.hpp>

#include "identity/account_digest.hpp"

using namespace p2psip::identity;
using namespace std::chrono_literals;

namespace {

// RFC 2617 §3.5's worked example.
constexpr const char* rfc2617_authorization =
    "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
    "nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

}  // namespace

TEST_CASE("RFC 2617's example answer verifies, and only with its password and method") {
  const auto answer = parse_digest_authorization(rfc2617_authorization);
  REQUIRE(answer);
  CHECK(answer->username == "Mufasa");
  CHECK(answer->uri == "/dir/index.html");
  const auto ha1 = digest_ha1_md5("Mufasa", "testrealm@host.com", "Circle Of Life");
  CHECK(digest_response_matches(ha1, "GET", *answer));
  CHECK_FALSE(digest_response_matches(ha1, "REGISTER", *answer));
  CHECK_FALSE(digest_response_matches(
      digest_ha1_md5("Mufasa", "testrealm@host.com", "circle of life"), "GET", *answer));
  auto tampered = *answer;
  tampered.uri = "/dir/other.html";
  CHECK_FALSE(digest_response_matches(ha1, "GET", tampered));
  tampered = *answer;
  tampered.nc = "00000002";
  CHECK_FALSE(digest_response_matches(ha1, "GET", tampered));
}

TEST_CASE("an RFC 2069 answer (no qop) verifies") {
  // Computed apart (Python's hashlib): HA1 = MD5("bob:office.example:pw"),
  // response = MD5(HA1 ":abc:" MD5("REGISTER:sip:office.example")).
  const auto ha1 = digest_ha1_md5("bob", "office.example", "pw");
  CHECK(ha1 == "cf26c65b402c3be28d89fd98cc895b9e");
  const auto parsed = parse_digest_authorization(
      "digest  username=bob,realm=\"office.example\" , nonce=abc, uri=\"sip:office.example\", "
      "response=\"F98791C6C0F9022A2AEDB04410F4319E\", algorithm=MD5");
  REQUIRE(parsed);
  CHECK(parsed->qop.empty());
  CHECK(digest_response_matches(ha1, "REGISTER", *parsed));
  CHECK_FALSE(digest_response_matches(ha1, "INVITE", *parsed));
}

TEST_CASE("malformed or unsupported Authorization values are refused") {
  const std::string ok_tail =
      "username=\"b\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"" +
      std::string(32, '0') + "\"";
  CHECK(parse_digest_authorization("Digest " + ok_tail));
  for (const std::string& bad : std::vector<std::string>{
           "", "Digest", "Basic " + ok_tail, "Digestusername=b", "Digest " + ok_tail + ", uri=x",
           "Digest " + ok_tail + ", algorithm=SHA-256", "Digest " + ok_tail + ", qop=auth-int",
           "Digest " + ok_tail + ", qop=auth",  // no nc and cnonce
           "Digest username=\"b\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"12\"",
           "Digest username=\"b, realm=\"r\"", "Digest " + ok_tail + ",, x=y",
           "Digest " + ok_tail + ", x", "Digest " + std::string(5000, 'a') + "=b"}) {
    INFO(bad);
    CHECK_FALSE(parse_digest_authorization(bad));
  }
}

TEST_CASE("the challenge names the realm and the nonce, quoted") {
  CHECK(digest_challenge_value("office.example", "0a1b") ==
        "Digest realm=\"office.example\", nonce=\"0a1b\", algorithm=MD5, qop=\"auth\"");
}

TEST_CASE("a nonce is good once, for its account and box, within its lifetime") {
  digest_nonces nonces(60s, 8);
  const auto t0 = digest_nonces::clock::time_point{} + 1h;
  const auto n = nonces.issue("bob@o.example", "box1", t0);
  CHECK(n.size() == 32);
  CHECK(nonces.issue("bob@o.example", "box1", t0) != n);
  CHECK(nonces.consume(n, "bob@o.example", "box1", t0 + 5s) == nonce_check::fresh);
  CHECK(nonces.consume(n, "bob@o.example", "box1", t0 + 6s) == nonce_check::unknown);  // replay

  const auto late = nonces.issue("bob@o.example", "box1", t0);
  CHECK(nonces.consume(late, "bob@o.example", "box1", t0 + 61s) == nonce_check::expired);
  const auto other_box = nonces.issue("bob@o.example", "box1", t0);
  CHECK(nonces.consume(other_box, "bob@o.example", "box2", t0) == nonce_check::mismatch);
  CHECK(nonces.consume(other_box, "bob@o.example", "box1", t0) == nonce_check::unknown);
  const auto other_user = nonces.issue("bob@o.example", "box1", t0);
  CHECK(nonces.consume(other_user, "carol@o.example", "box1", t0) == nonce_check::mismatch);
  CHECK(nonces.consume("never-issued", "bob@o.example", "box1", t0) == nonce_check::unknown);
}

TEST_CASE("outstanding nonces are bounded; the oldest goes first") {
  digest_nonces nonces(60s, 3);
  const auto t0 = digest_nonces::clock::time_point{} + 1h;
  std::vector<std::string> issued;
  for (int i = 0; i < 5; ++i)
    issued.push_back(nonces.issue("u@d", "b", t0 + std::chrono::seconds(i)));
  CHECK(nonces.outstanding() == 3);
  CHECK(nonces.consume(issued[0], "u@d", "b", t0 + 5s) == nonce_check::unknown);
  CHECK(nonces.consume(issued[1], "u@d", "b", t0 + 5s) == nonce_check::unknown);
  CHECK(nonces.consume(issued[4], "u@d", "b", t0 + 5s) == nonce_check::fresh);
}
