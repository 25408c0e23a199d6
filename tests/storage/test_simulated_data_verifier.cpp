// The simulator's cheap verifier: no crypto, but the claimed signer still
// has to pass the access policy, so a foreign signer is refused.
#include <catch2/catch.hpp>

#include "storage/access_control.hpp"
#include "storage/simulated_data_verifier.hpp"
#include "storage/storage_service.hpp"

using namespace p2psip;
using namespace p2psip::storage;
using wire::reload_error_code;

namespace {

const time_point now = std::chrono::system_clock::now();

wire::node_id node(std::uint8_t fill) {
  wire::node_id::bytes_type b{};
  b.fill(fill);
  return wire::node_id{b};
}

const signer alice{"alice@sim.example", node(0xa1)};
const signer bob{"bob@sim.example", node(0xb0)};

wire::stored_data entry(const std::string& key, const std::string& text) {
  wire::stored_data d;
  d.storage_time = to_ms(now);
  d.lifetime = 60;
  d.value.entry =
      wire::dictionary_entry{{key.begin(), key.end()}, {true, {text.begin(), text.end()}}};
  return d;
}

wire::stored_data signed_as(const signer& who, const wire::resource_id& resource,
                            wire::stored_data d) {
  REQUIRE(sign_simulated(resource, app_data_kind, d, who));
  return d;
}

struct fixture {
  kind_registry kinds = kind_registry::with_defaults();
  data_store store;
  simulated_data_verifier verifier;
  storage_service service{kinds, store, verifier};

  answer<wire::store_ans> put(const wire::resource_id& resource, wire::stored_data d) {
    return service.store({resource, 0, {{app_data_kind, {}, std::vector<wire::stored_data>{d}}}},
                         {.now = now, .certificates = {}, .request_signer = {}, .replicas = {}});
  }
};

}  // namespace

TEST_CASE("a simulated signature verifies and names its signer") {
  simulated_data_verifier verifier;
  const auto resource = user_resource(*alice.user_name);
  const auto d = signed_as(alice, resource, entry("k", "v"));
  const auto who = verifier.verify(resource, app_data_kind, d, {}, now);
  REQUIRE(who);
  CHECK(*who == alice);

  const signer nameless{std::nullopt, node(3)};
  const auto d2 = signed_as(nameless, resource, entry("k", "v"));
  CHECK(*verifier.verify(resource, app_data_kind, d2, {}, now) == nameless);
  CHECK(verifier.certificates_for({}).empty());
}

TEST_CASE("the checksum catches data, resource or signer changed after signing") {
  simulated_data_verifier verifier;
  const auto resource = user_resource(*alice.user_name);
  const auto d = signed_as(alice, resource, entry("k", "v"));

  auto changed = d;
  std::get<wire::dictionary_entry>(changed.value.entry).value.value.push_back('!');
  CHECK(verifier.verify(resource, app_data_kind, changed, {}, now).error().code ==
        verify_errc::bad_signature);
  CHECK(verifier.verify(user_resource(*bob.user_name), app_data_kind, d, {}, now).error().code ==
        verify_errc::bad_signature);
  auto relabelled = d;
  relabelled.signature.identity.hash[0] ^= 1;  // claim another Node-ID without re-signing
  CHECK(verifier.verify(resource, app_data_kind, relabelled, {}, now).error().code ==
        verify_errc::bad_signature);
  auto certificate_style = d;
  certificate_style.signature.identity.type =
      static_cast<std::uint8_t>(wire::signer_identity_type::cert_hash);
  CHECK(verifier.verify(resource, app_data_kind, certificate_style, {}, now).error().code ==
        verify_errc::unknown_signer);
}

TEST_CASE("through the service a foreign signer is refused and nothing is stored") {
  fixture f;
  const auto resource = user_resource(*alice.user_name);
  CHECK(f.put(resource, signed_as(bob, resource, entry("k", "bob's"))).error().error_code ==
        reload_error_code::forbidden);
  auto tampered = signed_as(alice, resource, entry("k", "v"));
  std::get<wire::dictionary_entry>(tampered.value.entry).value.value.push_back('!');
  CHECK(f.put(resource, tampered).error().error_code == reload_error_code::forbidden);
  CHECK(f.store.resource_count() == 0);

  REQUIRE(f.put(resource, signed_as(alice, resource, entry("k", "v"))));
  const auto before = f.store.resources();
  CHECK(f.put(resource, signed_as(bob, resource, entry("k", "overwrite"))).error().error_code ==
        reload_error_code::forbidden);
  CHECK(f.store.resources() == before);
}
