#include <catch2/catch.hpp>

#include "identity/verified_certificate_cache.hpp"
#include "identity_test_util.hpp"

namespace p2psip::identity {
namespace {

using std::chrono::seconds;
using test::must;

const time_point now = std::chrono::system_clock::now();

struct fixture {
  certificate_authority ca = test::make_ca(now);
  certificate_verifier verifier{test::ca_policy(ca)};

  verified_identity verified(const std::string& user) {
    auto creds = test::enroll(ca, user, 1, key_algorithm::ecdsa_p256, now);
    return must(verifier.verify(creds.certificate, {}, now));
  }
};

}  // namespace

TEST_CASE("a verdict is found by its exact DER bytes, only inside its window") {
  fixture f;
  verified_certificate_cache cache;
  const auto alice = f.verified("alice@example.org");
  const auto bob = f.verified("bob@example.org");
  // The window is the leaf's validity cut by the CA's.
  CHECK(alice.valid_from == alice.certificate.not_before());
  CHECK(alice.valid_until <= alice.certificate.not_after());
  CHECK(alice.valid_until <= f.ca.root().not_after());

  cache.add(alice);
  const auto* found = cache.find(alice.certificate.der(), now);
  REQUIRE(found != nullptr);
  CHECK(found->certificate == alice.certificate);
  CHECK(found->node_ids == alice.node_ids);
  CHECK(cache.find(bob.certificate.der(), now) == nullptr);

  auto altered = alice.certificate.der();
  altered.back() ^= 1;  // one bit of the signature
  CHECK(cache.find(altered, now) == nullptr);
  altered.pop_back();
  CHECK(cache.find(altered, now) == nullptr);

  CHECK(cache.find(alice.certificate.der(), alice.valid_until) != nullptr);
  CHECK(cache.find(alice.certificate.der(), alice.valid_until + seconds(1)) == nullptr);
  CHECK(cache.find(alice.certificate.der(), alice.valid_from - seconds(1)) == nullptr);
}

TEST_CASE("the verdict cache is bounded: past its capacity the oldest goes") {
  fixture f;
  verified_certificate_cache cache(2);
  const auto a = f.verified("a@example.org");
  const auto b = f.verified("b@example.org");
  const auto c = f.verified("c@example.org");
  cache.add(a);
  cache.add(b);
  cache.add(a);  // already there: no second entry
  CHECK(cache.size() == 2);
  cache.add(c);
  CHECK(cache.size() == 2);
  CHECK(cache.find(a.certificate.der(), now) == nullptr);
  CHECK(cache.find(b.certificate.der(), now) != nullptr);
  CHECK(cache.find(c.certificate.der(), now) != nullptr);

  verified_certificate_cache none(0);
  none.add(a);
  CHECK(none.size() == 0);
  CHECK(none.find(a.certificate.der(), now) == nullptr);
}

}  // namespace p2psip::identity
