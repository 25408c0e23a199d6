#include <catch2/catch.hpp>

#include "identity/certificate_builder.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/self_signed.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using namespace std::chrono_literals;
using p2psip::identity::test::must;

namespace {

const auto now = std::chrono::system_clock::now();

identity_errc error_of(const result<verified_identity>& r) {
  REQUIRE_FALSE(r);
  return r.error().code;
}

node_certificate self_signed(const key_pair& key, time_point at = now) {
  return must(make_self_signed_certificate(key, {test::test_overlay, "adhoc@example.org"}, at));
}

// A certificate for `subject` signed by `issuer_key`/`issuer`, CA or not.
node_certificate signed_by(const key_pair& subject, const key_pair& issuer_key,
                           const node_certificate& issuer, bool ca,
                           std::vector<p2psip::wire::node_id> nodes = {}) {
  certificate_spec spec;
  spec.subject_key = subject.native();
  spec.common_name = ca ? "intermediate" : "";
  spec.node_ids = std::move(nodes);
  spec.overlay = test::test_overlay;
  spec.user_name = ca ? std::nullopt : std::optional<std::string>("leaf@example.org");
  spec.certificate_authority = ca;
  spec.not_before = now - 1h;
  spec.not_after = now + 1h;
  return must(issue_certificate(spec, issuer_key, &issuer));
}

}  // namespace

TEST_CASE("a certificate issued by the overlay CA yields its Node-IDs and user") {
  auto ca = test::make_ca(now);
  const auto creds = test::enroll(ca, "alice@example.org", 2);
  const certificate_verifier verifier(test::ca_policy(ca));
  const auto identity = must(verifier.verify(creds.certificate, {}, now));
  CHECK(identity.node_ids == creds.certificate.node_ids());
  CHECK(identity.user_name == "alice@example.org");
  CHECK_FALSE(identity.self_signed);
}

TEST_CASE("validity periods are enforced") {
  auto ca = test::make_ca(now);
  const auto creds = test::enroll(ca, "alice@example.org");
  const certificate_verifier verifier(test::ca_policy(ca));
  CHECK(error_of(verifier.verify(creds.certificate, {}, now + 24h * 400)) ==
        identity_errc::certificate_expired);
  CHECK(error_of(verifier.verify(creds.certificate, {}, now - 1h)) ==
        identity_errc::certificate_not_yet_valid);
}

TEST_CASE("a chain that does not reach the overlay's root is untrusted") {
  auto ca = test::make_ca(now);
  auto other_ca = test::make_ca(now);
  const auto stranger = test::enroll(other_ca, "mallory@example.org");
  CHECK(error_of(certificate_verifier(test::ca_policy(ca)).verify(stranger.certificate, {}, now)) ==
        identity_errc::untrusted_chain);
  trust_policy no_roots{test::test_overlay, {}, false};
  CHECK(error_of(certificate_verifier(no_roots).verify(stranger.certificate, {}, now)) ==
        identity_errc::untrusted_chain);
}

TEST_CASE("intermediates are used when supplied, and must be CAs (BasicConstraints)") {
  const auto root_key = must(key_pair::generate());
  certificate_spec root_spec;
  root_spec.subject_key = root_key.native();
  root_spec.common_name = test::test_overlay;
  root_spec.certificate_authority = true;
  root_spec.not_before = now - 1h;
  root_spec.not_after = now + 1h;
  const auto root = must(issue_certificate(root_spec, root_key, nullptr));
  const certificate_verifier verifier({test::test_overlay, {root}, false});
  const std::vector<p2psip::wire::node_id> node = must(self_signed_node_ids(
      root_key.native(), p2psip::wire::hash_algorithm::sha256, 1));
  const auto leaf_key = must(key_pair::generate());
  const auto mid_key = must(key_pair::generate());

  SECTION("through a CA intermediate") {
    const auto mid = signed_by(mid_key, root_key, root, true);
    const auto leaf = signed_by(leaf_key, mid_key, mid, false, node);
    const std::vector<node_certificate> chain = {mid};
    CHECK(must(verifier.verify(leaf, chain, now)).node_ids == node);
    CHECK(error_of(verifier.verify(leaf, {}, now)) == identity_errc::untrusted_chain);
  }
  SECTION("through a certificate that is not a CA") {
    const auto mid = signed_by(mid_key, root_key, root, false, node);
    const auto leaf = signed_by(leaf_key, mid_key, mid, false, node);
    const std::vector<node_certificate> chain = {mid};
    CHECK(error_of(verifier.verify(leaf, chain, now)) == identity_errc::untrusted_chain);
  }
}

TEST_CASE("self-signed certificates follow the overlay's self-signed-permitted") {
  const auto key = must(key_pair::generate());
  const auto cert = self_signed(key);
  trust_policy policy{test::test_overlay, {}, false};
  CHECK(error_of(certificate_verifier(policy).verify(cert, {}, now)) ==
        identity_errc::self_signed_forbidden);

  policy.self_signed_permitted = true;
  const certificate_verifier permissive(policy);
  const auto identity = must(permissive.verify(cert, {}, now));
  CHECK(identity.self_signed);
  CHECK(identity.node_ids == cert.node_ids());
  CHECK(error_of(permissive.verify(cert, {}, now + 24h * 400)) == identity_errc::certificate_expired);

  policy.self_signed_digest = p2psip::wire::hash_algorithm::sha1;
  CHECK(error_of(certificate_verifier(policy).verify(cert, {}, now)) ==
        identity_errc::self_signed_node_id_mismatch);
}

TEST_CASE("a certificate without a Node-ID for this overlay names no node") {
  auto ca = test::make_ca(now);
  auto policy = test::ca_policy(ca);
  const auto creds = test::enroll(ca, "alice@example.org");
  policy.overlay = "another.overlay.example";
  CHECK(error_of(certificate_verifier(policy).verify(creds.certificate, {}, now)) ==
        identity_errc::node_id_not_in_certificate);
}

TEST_CASE("the link layer verifies a peer from its TLS leaf and chain") {
  auto ca = test::make_ca(now);
  const auto creds = test::enroll(ca, "peer@example.org");
  const certificate_verifier verifier(test::ca_policy(ca));
  x509_stack_ptr chain(sk_X509_new_null());
  REQUIRE(X509_add_cert(chain.get(), creds.certificate.native(), X509_ADD_FLAG_UP_REF) == 1);
  const auto identity = must(verifier.verify_peer(creds.certificate.native(), chain.get(), now));
  CHECK(identity.node_ids == creds.certificate.node_ids());
  CHECK(must(verifier.verify_peer(creds.certificate.native(), nullptr, now)).node_ids ==
        creds.certificate.node_ids());

  auto stranger_ca = test::make_ca(now);
  const auto stranger = test::enroll(stranger_ca, "eve@example.org");
  CHECK(error_of(verifier.verify_peer(stranger.certificate.native(), nullptr, now)) ==
        identity_errc::untrusted_chain);
  CHECK(error_of(verifier.verify_peer(nullptr, nullptr, now)) ==
        identity_errc::malformed_certificate);
}
