// RFC 4568 a=crypto values: the suites taken, the key's exact size and
// alphabet, lifetimes ignored, MKI, several keys and mandatory session
// parameters refused, and formatting that parses back.
#include <catch2/catch.hpp>

#include <string>

#include "media/sdes_crypto.hpp"

using namespace p2psip::media;

namespace {

// RFC 4568 §5.1's example key (30 bytes once decoded).
const std::string key40 = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

media_errc error_of(const std::string& value) {
  const auto parsed = parse_sdes_crypto(value);
  REQUIRE_FALSE(parsed);
  return parsed.error().code;
}

}  // namespace

TEST_CASE("the RFC's example line parses") {
  const auto parsed = parse_sdes_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + "|2^20|1:32");
  // It carries an MKI, which is refused: the same key without it is taken.
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == media_errc::unsupported_key_params);
  const auto plain = parse_sdes_crypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40);
  REQUIRE(plain);
  CHECK(plain->tag == 1);
  CHECK(plain->suite == srtp_suite::aes_cm_128_hmac_sha1_80);
  CHECK(plain->key.bytes()[0] == 0x3D);  // 'P','S' -> 0x3D 0x2D...
  CHECK(plain->key.bytes()[1] == 0x2D);
}

TEST_CASE("both AES_CM_128 suites, tags up to nine digits, lifetimes ignored") {
  auto p = parse_sdes_crypto("999999999 AES_CM_128_HMAC_SHA1_32 inline:" + key40 + "|2^31");
  REQUIRE(p);
  CHECK(p->tag == 999999999u);
  CHECK(p->suite == srtp_suite::aes_cm_128_hmac_sha1_32);
  CHECK(parse_sdes_crypto("2 AES_CM_128_HMAC_SHA1_80  inline:" + key40 + "|1048576"));
  CHECK(parse_sdes_crypto("\t3\tAES_CM_128_HMAC_SHA1_80\tinline:" + key40 + " "));
  // '-' session parameters may be ignored (§6.3.7).
  CHECK(parse_sdes_crypto("4 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + " -FOO=1"));
}

TEST_CASE("bad a=crypto values are refused with what was wrong") {
  CHECK(error_of("") == media_errc::bad_crypto);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80") == media_errc::bad_crypto);
  CHECK(error_of("x AES_CM_128_HMAC_SHA1_80 inline:" + key40) == media_errc::bad_crypto);
  CHECK(error_of("1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key40) == media_errc::bad_crypto);
  CHECK(error_of("-1 AES_CM_128_HMAC_SHA1_80 inline:" + key40) == media_errc::bad_crypto);
  CHECK(error_of("1 F8_128_HMAC_SHA1_80 inline:" + key40) == media_errc::unsupported_suite);
  CHECK(error_of("1 AES_256_CM_HMAC_SHA1_80 inline:" + key40) == media_errc::unsupported_suite);
  CHECK(error_of("1 aes_cm_128_hmac_sha1_80 inline:" + key40) == media_errc::unsupported_suite);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 uri:" + key40) == media_errc::bad_crypto);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:") == media_errc::bad_key);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40.substr(4)) == media_errc::bad_key);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + "AAAA") == media_errc::bad_key);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40.substr(0, 38) + "==") ==
        media_errc::bad_key);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40.substr(0, 39) + "!") ==
        media_errc::bad_key);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + "|2^") == media_errc::bad_crypto);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + "|abc") == media_errc::bad_crypto);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + "|1:4") ==
        media_errc::unsupported_key_params);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + ";inline:" + key40) ==
        media_errc::unsupported_key_params);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + " UNENCRYPTED_SRTP") ==
        media_errc::unsupported_key_params);
  CHECK(error_of("1 AES_CM_128_HMAC_SHA1_80 inline:" + key40 + " KDR=1") ==
        media_errc::unsupported_key_params);
  const auto e = parse_sdes_crypto("1 NULL_CIPHER inline:" + key40);
  REQUIRE_FALSE(e);
  CHECK(e.error().describe() == "unsupported_suite: NULL_CIPHER");
}

TEST_CASE("formatted keys parse back, and fresh keys differ") {
  const auto a = fresh_sdes_crypto();
  const auto b = fresh_sdes_crypto(7, srtp_suite::aes_cm_128_hmac_sha1_32);
  CHECK_FALSE(a.key == b.key);
  const auto text = format_sdes_crypto(b);
  CHECK(text.rfind("7 AES_CM_128_HMAC_SHA1_32 inline:", 0) == 0);
  CHECK(text.size() == std::string("7 AES_CM_128_HMAC_SHA1_32 inline:").size() + 40);
  const auto back = parse_sdes_crypto(text);
  REQUIRE(back);
  CHECK(*back == b);
  CHECK(*parse_sdes_crypto(format_sdes_crypto(a)) == a);
}
