#include <catch2/catch.hpp>

#include "identity/certificate_builder.hpp"
#include "identity/message_signer.hpp"
#include "identity/self_signed.hpp"
#include "identity/signature_verifier.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using namespace p2psip;
using namespace std::chrono_literals;
using p2psip::identity::test::must;

namespace {

const auto now = std::chrono::system_clock::now();
constexpr wire::overlay_hash overlay{0xfeedbeef};
constexpr wire::transaction_id transaction{42};

std::vector<std::uint8_t> contents_bytes() {
  wire::message_contents contents;
  contents.body.assign(180, 0x33);
  return *wire::to_bytes(contents);
}

struct signed_message {
  wire::security_block block;
  std::vector<std::uint8_t> contents = contents_bytes();
};

signed_message sign_with(message_signer& signer) {
  signed_message m;
  m.block.certificates = {signer.generic_certificate()};
  m.block.signature = must(signer.sign_message(overlay, transaction, m.contents));
  return m;
}

const auto test_resource = *wire::resource_id::from_span(std::vector<std::uint8_t>(16, 7));

// A TURN-SERVICE value at test_resource, signed by `signer`.
wire::stored_data signed_value(message_signer& signer, std::vector<std::uint8_t> bytes) {
  wire::stored_data data;
  data.storage_time = 1700000000000;
  data.lifetime = 60;
  data.value.entry = wire::data_value{true, std::move(bytes)};
  REQUIRE(signer.sign_stored_data(test_resource, wire::well_known_kind::turn_service, data));
  return data;
}

message_signer self_signed_signer(const std::string& user) {
  auto key = must(key_pair::generate());
  auto cert = must(make_self_signed_certificate(key, {test::test_overlay, user}, now));
  return must(message_signer::create(std::move(key), std::move(cert)));
}

// One overlay: its CA, the verifier for its policy, a cache and a signer.
struct fixture {
  certificate_authority ca = test::make_ca(now);
  certificate_verifier certificates{test::ca_policy(ca)};
  certificate_cache cache;
  signature_verifier verifier{certificates, cache};

  message_signer signer_for(const std::string& user, std::size_t nodes = 1,
                            key_algorithm algorithm = key_algorithm::ecdsa_p256) {
    auto creds = test::enroll(ca, user, nodes, algorithm, now);
    return must(message_signer::create(std::move(creds.key), creds.certificate));
  }

  identity_errc error_of(const signed_message& m, std::optional<wire::node_id> claimed = {},
                         time_point at = now) {
    const auto r = verifier.verify_message(m.block, overlay, transaction, m.contents, claimed, at);
    REQUIRE_FALSE(r);
    return r.error().code;
  }
};

}  // namespace

TEST_CASE("a correctly signed message verifies and names its signer") {
  fixture f;
  for (const auto algorithm : {key_algorithm::ecdsa_p256, key_algorithm::rsa_2048}) {
    auto signer = f.signer_for("alice@example.org", 1, algorithm);
    const auto m = sign_with(signer);
    const auto verified = must(
        f.verifier.verify_message(m.block, overlay, transaction, m.contents, signer.node(), now));
    CHECK(verified.node == signer.node());
    CHECK(verified.identity.user_name == "alice@example.org");
  }
}

TEST_CASE("a multi-Node-ID signer is identified by cert_hash_node_id") {
  fixture f;
  auto creds = test::enroll(f.ca, "multi@example.org", 2, key_algorithm::ecdsa_p256, now);
  const auto second = creds.certificate.node_ids()[1];
  auto signer = must(message_signer::create(std::move(creds.key), creds.certificate, second));
  const auto m = sign_with(signer);
  CHECK(must(f.verifier.verify_message(m.block, overlay, transaction, m.contents, {}, now)).node ==
        second);
}

TEST_CASE("bad signature: tampered contents, header fields or value") {
  fixture f;
  auto signer = f.signer_for("alice@example.org");
  auto m = sign_with(signer);
  SECTION("contents") {
    m.contents.back() ^= 1;
    CHECK(f.error_of(m) == identity_errc::bad_signature);
  }
  SECTION("signature value") {
    m.block.signature.value[10] ^= 1;
    CHECK(f.error_of(m) == identity_errc::bad_signature);
  }
  SECTION("transaction id") {
    const auto r = f.verifier.verify_message(m.block, overlay, wire::transaction_id{43}, m.contents,
                                             {}, now);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == identity_errc::bad_signature);
  }
  SECTION("algorithm claims RSA for an EC key") {
    m.block.signature.algorithm.signature = wire::signature_algorithm::rsa;
    CHECK(f.error_of(m) == identity_errc::bad_signature);
  }
}

TEST_CASE("unknown signer: no certificate matches the signer hash") {
  fixture f;
  auto signer = f.signer_for("alice@example.org");
  auto m = sign_with(signer);
  m.block.certificates.clear();
  CHECK(f.error_of(m) == identity_errc::unknown_signer);
}

TEST_CASE("a verified signer's certificate is cached, so later messages may omit it") {
  fixture f;
  auto signer = f.signer_for("alice@example.org");
  const auto first = sign_with(signer);
  REQUIRE(f.verifier.verify_message(first.block, overlay, transaction, first.contents, {}, now));
  auto second = sign_with(signer);
  second.block.certificates.clear();
  CHECK(f.verifier.verify_message(second.block, overlay, transaction, second.contents, {}, now));
  CHECK(f.cache.size() == 1);
}

TEST_CASE("expired and not-yet-valid signer certificates are rejected") {
  fixture f;
  auto signer = f.signer_for("alice@example.org");
  const auto m = sign_with(signer);
  CHECK(f.error_of(m, {}, now + 24h * 400) == identity_errc::certificate_expired);
  CHECK(f.error_of(m, {}, now - 1h) == identity_errc::certificate_not_yet_valid);
}

TEST_CASE("a signer whose chain does not reach the overlay's root is rejected") {
  fixture f;
  auto foreign_ca = test::make_ca(now);
  auto creds = test::enroll(foreign_ca, "mallory@example.org", 1, key_algorithm::ecdsa_p256, now);
  auto signer = must(message_signer::create(std::move(creds.key), creds.certificate));
  CHECK(f.error_of(sign_with(signer)) == identity_errc::untrusted_chain);
}

TEST_CASE("a signer claiming a Node-ID its certificate lacks is rejected") {
  fixture f;
  auto alice = f.signer_for("alice@example.org");
  auto bob = f.signer_for("bob@example.org");
  CHECK(f.error_of(sign_with(alice), bob.node()) == identity_errc::node_id_not_in_certificate);
}

TEST_CASE("self-signed signers follow the overlay's policy") {
  fixture f;
  auto signer = self_signed_signer("adhoc@example.org");
  const auto m = sign_with(signer);
  CHECK(f.error_of(m) == identity_errc::self_signed_forbidden);

  trust_policy adhoc{test::test_overlay, {}, true};
  const certificate_verifier permissive(adhoc);
  signature_verifier verifier(permissive, f.cache);
  const auto verified =
      must(verifier.verify_message(m.block, overlay, transaction, m.contents, signer.node(), now));
  CHECK(verified.identity.self_signed);
}

TEST_CASE("unusable SignerIdentity and algorithms are rejected") {
  fixture f;
  auto signer = f.signer_for("alice@example.org");
  auto m = sign_with(signer);
  SECTION("identity type none") {
    m.block.signature.identity = {static_cast<std::uint8_t>(wire::signer_identity_type::none),
                                  wire::hash_algorithm::sha256, {}};
    CHECK(f.error_of(m) == identity_errc::invalid_signer_identity);
  }
  SECTION("SHA-1 signatures") {
    m.block.signature.algorithm.hash = wire::hash_algorithm::sha1;
    CHECK(f.error_of(m) == identity_errc::unsupported_algorithm);
  }
  SECTION("cert_hash for a certificate with several Node-IDs") {
    auto creds = test::enroll(f.ca, "multi@example.org", 2, key_algorithm::ecdsa_p256, now);
    auto multi = must(message_signer::create(std::move(creds.key), creds.certificate));
    auto mm = sign_with(multi);
    mm.block.signature.identity.type = static_cast<std::uint8_t>(wire::signer_identity_type::cert_hash);
    mm.block.signature.identity.hash = *creds.certificate.hash(wire::hash_algorithm::sha256);
    CHECK(f.error_of(mm) == identity_errc::invalid_signer_identity);
  }
}

TEST_CASE("StoredData signatures verify, and tampering is detected") {
  fixture f;
  auto signer = f.signer_for("alice@example.org");
  const auto& resource = test_resource;
  auto data = signed_value(signer, {9, 9, 9});
  const std::vector<wire::generic_certificate> certs = {signer.generic_certificate()};

  CHECK(must(f.verifier.verify_stored_data(resource, wire::well_known_kind::turn_service, data,
                                           certs, signer.node(), now))
            .node == signer.node());
  auto other_kind = f.verifier.verify_stored_data(resource, wire::well_known_kind::sip_registration,
                                                  data, certs, {}, now);
  REQUIRE_FALSE(other_kind);
  CHECK(other_kind.error().code == identity_errc::bad_signature);
  data.storage_time += 1;
  auto later = f.verifier.verify_stored_data(resource, wire::well_known_kind::turn_service, data,
                                             certs, {}, now);
  REQUIRE_FALSE(later);
  CHECK(later.error().code == identity_errc::bad_signature);
}

TEST_CASE("a signer's certificate is verified once, and every signature is still checked") {
  fixture f;
  auto alice = f.signer_for("alice@example.org");
  const auto m = sign_with(alice);
  REQUIRE(f.verifier.verify_message(m.block, overlay, transaction, m.contents, {}, now));

  SECTION("tampered contents or signature of a later message") {
    auto later = sign_with(alice);
    later.contents.front() ^= 1;
    CHECK(f.error_of(later) == identity_errc::bad_signature);
    later = sign_with(alice);
    later.block.signature.value[12] ^= 1;
    CHECK(f.error_of(later) == identity_errc::bad_signature);
  }
  SECTION("a tampered stored value") {
    auto data = signed_value(alice, {1, 2, 3});
    const std::vector<wire::generic_certificate> certs = {alice.generic_certificate()};
    REQUIRE(f.verifier.verify_stored_data(test_resource, wire::well_known_kind::turn_service, data,
                                          certs, {}, now));
    std::get<wire::data_value>(data.value.entry).value.back() ^= 1;
    const auto tampered = f.verifier.verify_stored_data(
        test_resource, wire::well_known_kind::turn_service, data, certs, {}, now);
    REQUIRE_FALSE(tampered);
    CHECK(tampered.error().code == identity_errc::bad_signature);
  }
  SECTION("another key signing under the cached certificate") {
    auto mallory = f.signer_for("mallory@example.org");
    auto forged = sign_with(mallory);
    forged.block.signature.identity = m.block.signature.identity;
    forged.block.certificates = m.block.certificates;
    CHECK(f.error_of(forged) == identity_errc::bad_signature);
  }
  SECTION("a different certificate from a foreign CA") {
    auto foreign_ca = test::make_ca(now);
    auto creds = test::enroll(foreign_ca, "alice@example.org", 1, key_algorithm::ecdsa_p256, now);
    auto impostor = must(message_signer::create(std::move(creds.key), creds.certificate));
    CHECK(f.error_of(sign_with(impostor)) == identity_errc::untrusted_chain);
  }
  SECTION("the cached certificate outside its validity") {
    CHECK(f.error_of(m, {}, now + 24h * 400) == identity_errc::certificate_expired);
    CHECK(f.error_of(m, {}, now - 1h) == identity_errc::certificate_not_yet_valid);
    CHECK(f.verifier.verify_message(m.block, overlay, transaction, m.contents, {}, now));
  }
  SECTION("a claimed Node-ID the cached certificate lacks") {
    auto bob = f.signer_for("bob@example.org");
    CHECK(f.error_of(m, bob.node()) == identity_errc::node_id_not_in_certificate);
  }
}

TEST_CASE("a verdict is kept per verifier: another trust policy decides for itself") {
  fixture f;
  auto signer = self_signed_signer("adhoc@example.org");
  const auto m = sign_with(signer);

  const certificate_verifier permissive(trust_policy{test::test_overlay, {}, true});
  signature_verifier adhoc(permissive, f.cache);  // the same certificate cache as f.verifier
  REQUIRE(adhoc.verify_message(m.block, overlay, transaction, m.contents, {}, now));
  CHECK(f.error_of(m) == identity_errc::self_signed_forbidden);

  SECTION("a self-signed certificate naming the cached signer's Node-ID from another key") {
    auto other = must(key_pair::generate());
    certificate_spec spec;
    spec.subject_key = other.native();
    spec.node_ids = {signer.node()};
    spec.overlay = test::test_overlay;
    spec.user_name = "adhoc@example.org";
    spec.not_before = now - 1h;
    spec.not_after = now + 24h;
    const auto forged_cert = must(issue_certificate(spec, other, nullptr));
    auto forger = must(message_signer::create(std::move(other), forged_cert));
    const auto forged = sign_with(forger);
    const auto r = adhoc.verify_message(forged.block, overlay, transaction, forged.contents, {}, now);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == identity_errc::self_signed_node_id_mismatch);
  }
}

TEST_CASE("a renewed certificate signs for the same Node-ID and peers verify it at once") {
  fixture f;
  auto creds = test::enroll(f.ca, "alice@example.org", 1, key_algorithm::ecdsa_p256, now);
  const auto old_cert = creds.certificate;
  const auto node = old_cert.node_ids().front();
  // The CA renews: the same key and Node-ID, a later and longer validity.
  const auto renewed = must(
      f.ca.issue_node_certificate(creds.key.native(), {node}, "alice@example.org", now + 60s, 2h));
  auto signer = must(message_signer::create(std::move(creds.key), old_cert));
  const auto before = sign_with(signer);

  REQUIRE(signer.use_certificate(renewed));
  CHECK(signer.node() == node);
  CHECK(signer.certificate().der() == renewed.der());
  CHECK(signer.generic_certificate().certificate == renewed.der());
  const auto after = sign_with(signer);
  CHECK(after.block.signature.identity.hash != before.block.signature.identity.hash);
  // The new signature verifies under the renewed certificate's validity
  // (it starts a minute later); the old one only under the old's, a year.
  const auto later = now + 60s + 90min;
  const auto verified =
      f.verifier.verify_message(after.block, overlay, transaction, after.contents, node, later);
  REQUIRE(verified);
  CHECK(verified->node == node);
  CHECK(f.verifier
            .verify_message(before.block, overlay, transaction, before.contents, node,
                            now + 400 * 24h)
            .error()
            .code == identity_errc::certificate_expired);
}

TEST_CASE("a signer refuses a renewed certificate for another key or Node-ID, keeping its own") {
  fixture f;
  auto alice = test::enroll(f.ca, "alice@example.org", 1, key_algorithm::ecdsa_p256, now);
  auto bob = test::enroll(f.ca, "bob@example.org", 1, key_algorithm::ecdsa_p256, now);
  const auto own = alice.certificate;
  const auto other_node = must(f.ca.issue_node_certificate(
      alice.key.native(), bob.certificate.node_ids(), "alice@example.org", now, 2h));
  auto signer = must(message_signer::create(std::move(alice.key), own));
  CHECK(signer.use_certificate(bob.certificate).error().code ==
        identity_errc::key_certificate_mismatch);
  CHECK(signer.use_certificate(other_node).error().code ==
        identity_errc::node_id_not_in_certificate);
  CHECK(signer.certificate().der() == own.der());
  const auto still = sign_with(signer);
  CHECK(f.verifier.verify_message(still.block, overlay, transaction, still.contents,
                                  own.node_ids().front(), now));
}
