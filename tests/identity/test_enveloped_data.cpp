// CMS AuthEnvelopedData to a certificate's key: what one recipient seals only
// that recipient opens, for both key types, and damage is refused.
#include <catch2/catch.hpp>

#include <string>

#include "identity/enveloped_data.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using namespace p2psip::identity::test;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("a sealed message opens with the recipient's key, for P-256 and RSA") {
  auto ca = make_ca();
  const auto algorithm = GENERATE(key_algorithm::ecdsa_p256, key_algorithm::rsa_2048);
  const auto bob = enroll(ca, "bob@overlay.test.example", 1, algorithm);
  const auto plaintext = bytes_of("meet at noon, the door code is 4711");
  const auto sealed = must(seal_for(plaintext, bob.certificate));
  // The plaintext appears nowhere in what a storing node sees.
  CHECK(std::search(sealed.begin(), sealed.end(), plaintext.begin(), plaintext.end()) ==
        sealed.end());
  CHECK(must(open_sealed(sealed, bob.key, bob.certificate)) == plaintext);
}

TEST_CASE("only the recipient opens it, and a damaged one is refused") {
  auto ca = make_ca();
  const auto bob = enroll(ca, "bob@overlay.test.example");
  const auto eve = enroll(ca, "eve@overlay.test.example");
  auto sealed = must(seal_for(bytes_of("for bob"), bob.certificate));
  CHECK_FALSE(open_sealed(sealed, eve.key, eve.certificate));
  CHECK_FALSE(open_sealed(sealed, eve.key, bob.certificate));
  SECTION("one ciphertext bit flipped: the GCM tag fails") {
    sealed[sealed.size() - 30] ^= 0x01;
    CHECK_FALSE(open_sealed(sealed, bob.key, bob.certificate));
  }
  SECTION("truncated, trailing bytes, not CMS") {
    CHECK_FALSE(open_sealed({sealed.data(), sealed.size() - 1}, bob.key, bob.certificate));
    sealed.push_back(0);
    CHECK_FALSE(open_sealed(sealed, bob.key, bob.certificate));
    CHECK_FALSE(open_sealed(bytes_of("plain text"), bob.key, bob.certificate));
    CHECK_FALSE(open_sealed({}, bob.key, bob.certificate));
  }
}
