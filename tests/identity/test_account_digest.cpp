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

// RFC 7616 §3.9.1: one challenge, two answers (SHA-256 and MD5) for
// Mufasa, password "Circle of Life", GET /dir/index.html; byte for byte.
constexpr const char* rfc7616_realm = "http-auth@example.org";
constexpr const char* rfc7616_nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr const char* rfc7616_sha256_authorization =
    "Digest username=\"Mufasa\",\r\n"
    "       realm=\"http-auth@example.org\",\r\n"
    "       uri=\"/dir/index.html\",\r\n"
    "       algorithm=SHA-256,\r\n"
    "       nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "       nc=00000001,\r\n"
    "       cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
    "       qop=auth,\r\n"
    "       response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n"
    "       opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
constexpr const char* rfc7616_md5_authorization =
    "Digest username=\"Mufasa\",\r\n"
    "       realm=\"http-auth@example.org\",\r\n"
    "       uri=\"/dir/index.html\",\r\n"
    "       algorithm=MD5,\r\n"
    "       nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "       nc=00000001,\r\n"
    "       cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
    "       qop=auth,\r\n"
    "       response=\"8ca523f5e9506fed4657c9700eebdbec\",\r\n"
    "       opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

}  // namespace

TEST_CASE("RFC 7616's example answers verify, SHA-256 and MD5, and only with the password") {
  // A header folded over lines as the RFC prints it, unfolded as SIP's
  // parser hands it over (LWS: CRLF followed by white space, RFC 3261 §7.3.1).
  const auto unfold = [](std::string text) {
    for (std::size_t at; (at = text.find("\r\n")) != std::string::npos;) text.erase(at, 2);
    return text;
  };
  const auto sha256 = parse_digest_authorization(unfold(rfc7616_sha256_authorization));
  REQUIRE(sha256);
  CHECK(sha256->algorithm == digest_algorithm::sha256);
  CHECK(sha256->nonce == rfc7616_nonce);
  CHECK(sha256->response == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  const auto sha256_ha1 =
      digest_ha1(digest_algorithm::sha256, "Mufasa", rfc7616_realm, "Circle of Life");
  CHECK(sha256_ha1.size() == 64);
  CHECK(digest_response_matches(sha256_ha1, "GET", *sha256));
  CHECK_FALSE(digest_response_matches(sha256_ha1, "POST", *sha256));
  CHECK_FALSE(digest_response_matches(
      digest_ha1(digest_algorithm::sha256, "Mufasa", rfc7616_realm, "Circle Of Life"), "GET",
      *sha256));

  const auto md5 = parse_digest_authorization(unfold(rfc7616_md5_authorization));
  REQUIRE(md5);
  CHECK(md5->algorithm == digest_algorithm::md5);
  const auto md5_ha1 = digest_ha1(digest_algorithm::md5, "Mufasa", rfc7616_realm, "Circle of Life");
  CHECK(digest_response_matches(md5_ha1, "GET", *md5));
  // An H(A1) of the other algorithm proves nothing.
  CHECK_FALSE(digest_response_matches(md5_ha1, "GET", *sha256));
  CHECK_FALSE(digest_response_matches(sha256_ha1, "GET", *md5));
  // Each algorithm's response length: a SHA-256 answer with an MD5-sized
  // response, and the reverse, do not parse.
  auto short_sha = unfold(rfc7616_md5_authorization);
  short_sha.replace(short_sha.find("algorithm=MD5"), 13, "algorithm=SHA-256");
  CHECK_FALSE(parse_digest_authorization(short_sha));
  auto long_md5 = unfold(rfc7616_sha256_authorization);
  long_md5.replace(long_md5.find("algorithm=SHA-256"), 17, "algorithm=MD5");
  CHECK_FALSE(parse_digest_authorization(long_md5));
}

TEST_CASE("RFC 7616's example challenges are what the CA writes, SHA-256 first") {
  // §3.9.1's WWW-Authenticate values, less qop="auth-int" and opaque, which
  // SIP registration does not use.
  CHECK(digest_challenge_value(digest_algorithm::sha256, rfc7616_realm, rfc7616_nonce) ==
        "Digest realm=\"http-auth@example.org\", "
        "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", algorithm=SHA-256, qop=\"auth\"");
  CHECK(digest_challenge_value(digest_algorithm::md5, rfc7616_realm, rfc7616_nonce) ==
        "Digest realm=\"http-auth@example.org\", "
        "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", algorithm=MD5, qop=\"auth\"");
  CHECK(digest_algorithms[0] == digest_algorithm::sha256);
  CHECK(digest_algorithms[1] == digest_algorithm::md5);
}

TEST_CASE("RFC 2617's example answer verifies, and only with its password and method") {
  const auto answer = parse_digest_authorization(rfc2617_authorization);
  REQUIRE(answer);
  CHECK(answer->username == "Mufasa");
  CHECK(answer->uri == "/dir/index.html");
  const auto ha1 =
      digest_ha1(digest_algorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  CHECK(digest_response_matches(ha1, "GET", *answer));
  CHECK_FALSE(digest_response_matches(ha1, "REGISTER", *answer));
  CHECK_FALSE(digest_response_matches(
      digest_ha1(digest_algorithm::md5, "Mufasa", "testrealm@host.com", "circle of life"), "GET",
      *answer));
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
  const auto ha1 = digest_ha1(digest_algorithm::md5, "bob", "office.example", "pw");
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
           "Digest " + ok_tail + ", algorithm=SHA-512-256",
           "Digest " + ok_tail + ", algorithm=MD5-sess", "Digest " + ok_tail + ", qop=auth-int",
           "Digest " + ok_tail + ", qop=auth",  // no nc and cnonce
           "Digest username=\"b\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"12\"",
           "Digest username=\"b, realm=\"r\"", "Digest " + ok_tail + ",, x=y",
           "Digest " + ok_tail + ", x", "Digest " + std::string(5000, 'a') + "=b"}) {
    INFO(bad);
    CHECK_FALSE(parse_digest_authorization(bad));
  }
}

TEST_CASE("the challenge names the realm and the nonce, quoted") {
  CHECK(digest_challenge_value(digest_algorithm::md5, "office \"x\"", "0a1b") ==
        "Digest realm=\"office \\\"x\\\"\", nonce=\"0a1b\", algorithm=MD5, qop=\"auth\"");
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
