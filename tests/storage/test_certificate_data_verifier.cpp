// The daemon's verifier over real certificates and ECDSA/RSA signatures.
#include <catch2/catch.hpp>

#include "identity/key_pair.hpp"
#include "storage/access_control.hpp"
#include "storage/simulated_data_verifier.hpp"
#include "storage_test_util.hpp"

using namespace p2psip;
using namespace p2psip::storage;
using namespace p2psip::storage::test;

namespace {

const wire::kind_id kind = app_data_kind;

verify_result check(pki& keys, const wire::resource_id& resource, const wire::stored_data& d,
                    std::vector<wire::generic_certificate> certificates,
                    time_point at = test_now()) {
  return keys.verifier.verify(resource, kind, d, certificates, at);
}

}  // namespace

TEST_CASE("a real signature verifies and yields user name and signing Node-ID") {
  pki keys;
  auto alice = keys.enroll(alice_user);
  const auto resource = user_resource(alice_user);
  const auto d = signed_by(alice, resource, kind, dictionary_value(bytes("k"), "v"));
  const auto who = check(keys, resource, d, {alice.generic_certificate()});
  REQUIRE(who);
  CHECK(who->user_name == alice_user);
  CHECK(who->node == alice.node());
  // Verified once, the certificate is cached: later data may omit it.
  CHECK(check(keys, resource, d, {}));
}

TEST_CASE("with several Node-IDs the signer is the one its SignerIdentity names") {
  pki keys;
  auto second = keys.enroll(alice_user, 3, 1);
  const auto resource = user_resource(alice_user);
  const auto d = signed_by(second, resource, kind, dictionary_value(bytes("k"), "v"));
  const auto who = check(keys, resource, d, {second.generic_certificate()});
  REQUIRE(who);
  CHECK(who->node == second.certificate().node_ids()[1]);
}

TEST_CASE("forged, foreign-CA, unknown and expired signers are told apart") {
  pki keys;
  pki rogue;
  auto alice = keys.enroll(alice_user);
  auto impostor = rogue.enroll(alice_user);
  const auto resource = user_resource(alice_user);
  const auto d = signed_by(alice, resource, kind, dictionary_value(bytes("k"), "v"));

  auto forged = d;
  std::get<wire::dictionary_entry>(forged.value.entry).value.value = bytes("w");
  CHECK(check(keys, resource, forged, {alice.generic_certificate()}).error().code ==
        verify_errc::bad_signature);
  // Signed over another resource: the signature covers the Resource-ID.
  CHECK(check(keys, user_resource("bob@storage.test.example"), d, {alice.generic_certificate()})
            .error()
            .code == verify_errc::bad_signature);

  const auto foreign = signed_by(impostor, resource, kind, dictionary_value(bytes("k"), "v"));
  CHECK(check(keys, resource, foreign, {impostor.generic_certificate()}).error().code ==
        verify_errc::untrusted_signer);
  CHECK(check(keys, resource, foreign, {}).error().code == verify_errc::unknown_signer);
  CHECK(check(keys, resource, d, {alice.generic_certificate()},
              test_now() + std::chrono::hours(24 * 800))
            .error()
            .code == verify_errc::untrusted_signer);

  // The simulator's signatures mean nothing to the real verifier.
  auto simulated = dictionary_value(bytes("k"), "v");
  REQUIRE(sign_simulated(resource, kind, simulated, {alice_user, alice.node()}));
  CHECK_FALSE(check(keys, resource, simulated, {alice.generic_certificate()}));
}

TEST_CASE("RSA signers verify as well") {
  pki keys;
  auto creds =
      must(keys.ca.enroll_offline("rsa@storage.test.example", 1, test_now() - std::chrono::hours(1),
                                  identity::key_algorithm::rsa_2048));
  auto rsa = must(identity::message_signer::create(std::move(creds.key), creds.certificate));
  const auto resource = user_resource("rsa@storage.test.example");
  const auto d = signed_by(rsa, resource, kind, dictionary_value(bytes("k"), "v"));
  CHECK(check(keys, resource, d, {rsa.generic_certificate()}));
}

TEST_CASE("certificates_for returns each verified signer's certificate once") {
  pki keys;
  auto alice = keys.enroll(alice_user);
  auto desk = keys.enroll(alice_user, 2, 1);
  const auto resource = user_resource(alice_user);
  const auto a = signed_by(alice, resource, kind, dictionary_value(bytes("a"), "1"));
  const auto b = signed_by(alice, resource, kind, dictionary_value(bytes("b"), "2"));
  const auto c = signed_by(desk, resource, kind, dictionary_value(bytes("c"), "3"));
  const auto request = store_request(resource, kind, {a, b, c});
  CHECK(keys.verifier.certificates_for(request).empty());  // nothing verified yet

  REQUIRE(check(keys, resource, a, {alice.generic_certificate()}));
  REQUIRE(check(keys, resource, c, {desk.generic_certificate()}));
  const auto certs = keys.verifier.certificates_for(request);
  REQUIRE(certs.size() == 2);
  CHECK(certs[0] == alice.generic_certificate());
  CHECK(certs[1] == desk.generic_certificate());
}
