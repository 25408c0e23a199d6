// Store (RFC 6940 §7.4.1) through storage_service with real certificates and
// ECDSA signatures.
#include <catch2/catch.hpp>

#include "storage/access_control.hpp"
#include "storage/storage_service.hpp"
#include "storage_test_util.hpp"
#include "wire/codec.hpp"

using namespace p2psip;
using namespace p2psip::storage;
using namespace p2psip::storage::test;
using wire::reload_error_code;
namespace known = wire::well_known_kind;

namespace {

// Alice and Bob enrolled with the overlay CA, and one storing peer.
struct fixture : pki, storing_peer {
  fixture() : storing_peer(ca) {}

  identity::message_signer alice = enroll(alice_user);
  identity::message_signer bob = enroll(bob_user);
  std::vector<wire::generic_certificate> certificates{alice.generic_certificate(),
                                                      bob.generic_certificate()};
  const wire::resource_id home = user_resource(alice_user);

  answer<wire::store_ans> put(const wire::store_req& request,
                              std::optional<signer> request_signer = std::nullopt,
                              time_point at = test_now()) {
    return storing_peer::put(request, certificates, at, std::move(request_signer));
  }

  wire::fetch_ans get(const wire::resource_id& resource, wire::stored_data_specifier specifier,
                      time_point at = test_now()) {
    return ok(service.fetch({resource, {std::move(specifier)}}, at));
  }

  // Alice's app-data entry at her home resource, stored `after_ms` after now.
  wire::stored_data app_entry(std::string_view key, std::string_view text,
                              std::uint64_t after_ms = 0, std::uint32_t lifetime = 3600) {
    return signed_by(alice, home, app_data_kind,
                     dictionary_value(bytes(key), text, now_ms() + after_ms, lifetime));
  }
};

wire::stored_data_specifier whole(wire::kind_id kind, wire::data_model model) {
  wire::stored_data_specifier s{.kind = kind, .generation = {}, .model_specifier = {}};
  if (model == wire::data_model::array) {
    s.model_specifier = std::vector<wire::array_range>{{0, wire::array_append_index}};
  } else if (model == wire::data_model::dictionary) {
    s.model_specifier = std::vector<wire::dictionary_key>{};
  }
  return s;
}

const std::vector<wire::stored_data>& values_of(const wire::fetch_ans& ans) {
  return std::get<0>(ans.kind_responses.at(0).values);
}

std::vector<std::uint8_t> key_of(const wire::node_id& n) {
  return {n.bytes().begin(), n.bytes().end()};
}

std::vector<std::uint8_t> key_of(const identity::message_signer& s) { return key_of(s.node()); }

// Flips a byte of the signed value, as a forger without the key would.
wire::stored_data forged(wire::stored_data data) {
  std::visit(
      [](auto& e) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, wire::data_value>) {
          e.value.push_back('!');
        } else {
          e.value.value.push_back('!');
        }
      },
      data.value.entry);
  return data;
}

signer as_signer(const identity::message_signer& s) {
  return {s.certificate().user_name(), s.node()};
}

}  // namespace

TEST_CASE("single value: stored, overwritten by a newer store, generation counts up") {
  fixture f;
  const auto resource = node_multiple_resource(f.alice.node(), 1);
  const auto kind = known::turn_service;
  const auto ans = ok(f.put(store_request(
      resource, kind, {signed_by(f.alice, resource, kind, single_value("relay-1"))})));
  REQUIRE(ans.kind_responses.size() == 1);
  CHECK(ans.kind_responses[0].kind == kind);
  CHECK(ans.kind_responses[0].generation.value == 1);

  const auto newer = signed_by(f.alice, resource, kind, single_value("relay-2", now_ms() + 1));
  CHECK(ok(f.put(store_request(resource, kind, {newer}))).kind_responses[0].generation.value == 2);
  const auto fetched = f.get(resource, whole(kind, wire::data_model::single_value));
  CHECK(fetched.kind_responses[0].generation.value == 2);
  REQUIRE(values_of(fetched).size() == 1);
  CHECK(values_of(fetched)[0] == newer);
  CHECK(f.store.value_count() == 1);
}

TEST_CASE("array: sparse indices, append after the last element, gaps read as nonexistent") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = known::certificate_by_user;
  ok(f.put(store_request(resource, kind,
                         {signed_by(f.alice, resource, kind, array_value(0, "cert-a")),
                          signed_by(f.alice, resource, kind, array_value(2, "cert-c"))})));
  // Appends are signed over index 0 (§7.4.2.2) and land after index 2.
  ok(f.put(
      store_request(resource, kind,
                    {signed_by(f.alice, resource, kind,
                               array_value(wire::array_append_index, "cert-d", now_ms() + 1))})));
  const auto values = values_of(f.get(resource, whole(kind, wire::data_model::array)));
  REQUIRE(values.size() == 4);
  CHECK(array_index_of(values[1]) == 1);
  CHECK_FALSE(data_value_of(values[1]).exists);
  CHECK(array_index_of(values[3]) == 3);
  CHECK(text_of(values[3]) == "cert-d");
  CHECK(f.store.value_count() == 3);
}

TEST_CASE("dictionary: a SIP registration per device, keyed by its Node-ID") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = known::sip_registration;
  auto desk = f.enroll(alice_user, 2, 1);  // a second device: a fresh Node-ID
  f.certificates.push_back(desk.generic_certificate());
  ok(f.put(
      store_request(resource, kind,
                    {signed_by(f.alice, resource, kind, dictionary_value(key_of(f.alice), "cell")),
                     signed_by(desk, resource, kind, dictionary_value(key_of(desk), "desk"))})));
  const auto values = values_of(f.get(resource, whole(kind, wire::data_model::dictionary)));
  REQUIRE(values.size() == 2);
  CHECK(f.store.value_count(resource) == 2);
}

TEST_CASE("a removal stores a signed nonexistent value in place of the old one") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  const auto value = dictionary_value(bytes("status"), "online");
  ok(f.put(store_request(resource, kind, {signed_by(f.alice, resource, kind, value)})));
  const auto gone = signed_by(f.alice, resource, kind, removal(value, now_ms() + 5));
  CHECK(ok(f.put(store_request(resource, kind, {gone}))).kind_responses[0].generation.value == 2);
  const auto values = values_of(f.get(resource, whole(kind, wire::data_model::dictionary)));
  REQUIRE(values.size() == 1);
  CHECK(values[0] == gone);
  CHECK_FALSE(data_value_of(values[0]).exists);
}

TEST_CASE("every policy refuses a forged signature and a foreign signer, storing nothing") {
  fixture f;
  struct policy_case {
    const char* name;
    wire::kind_id kind;
    wire::resource_id resource;
    wire::stored_data alice_value;  // acceptable from Alice
    wire::stored_data bob_value;    // Bob's own attempt at Alice's resource
  };
  const std::vector<policy_case> cases = {
      {"USER-MATCH", known::certificate_by_user, user_resource(alice_user),
       array_value(0, "alice-cert"), array_value(0, "bob-cert")},
      {"NODE-MATCH", known::certificate_by_node, node_resource(f.alice.node()),
       array_value(0, "alice-cert"), array_value(0, "bob-cert")},
      {"USER-NODE-MATCH", known::sip_registration, user_resource(alice_user),
       dictionary_value(key_of(f.alice), "alice-route"),
       dictionary_value(key_of(f.bob), "bob-route")},
      {"NODE-MULTIPLE", known::turn_service, node_multiple_resource(f.alice.node(), 20),
       single_value("alice-relay"), single_value("bob-relay")},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto genuine = signed_by(f.alice, c.resource, c.kind, c.alice_value);
      CHECK(refused(f.put(store_request(c.resource, c.kind, {forged(genuine)}))) ==
            reload_error_code::forbidden);
      CHECK(refused(f.put(store_request(c.resource, c.kind,
                                        {signed_by(f.bob, c.resource, c.kind, c.bob_value)}))) ==
            reload_error_code::forbidden);
      // A valid value with a refused one: the request is refused as a whole.
      CHECK(refused(f.put(store_request(
                c.resource, c.kind,
                {genuine, forged(signed_by(f.alice, c.resource, c.kind, c.alice_value))}))) ==
            reload_error_code::forbidden);
      CHECK(f.store.resource_count() == 0);
      CHECK(f.store.value_count() == 0);
      // The genuine value alone is accepted.
      ok(f.put(store_request(c.resource, c.kind, {genuine})));
      CHECK(f.store.value_count() == 1);
    }
  }
}

TEST_CASE("USER-NODE-MATCH refuses an entry keyed by another Node-ID of the same user") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = known::sip_registration;
  const auto other = f.enroll(alice_user, 2, 1).node();
  const auto error = f.put(store_request(
      resource, kind, {signed_by(f.alice, resource, kind, dictionary_value(key_of(other), "x"))}));
  CHECK(refused(error) == reload_error_code::forbidden);
  CHECK(f.store.resource_count() == 0);
}

TEST_CASE("a certificate from another CA is refused even for the right user name") {
  fixture f;
  pki rogue;
  auto impostor = rogue.enroll(alice_user);
  f.certificates.push_back(impostor.generic_certificate());
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  CHECK(refused(f.put(store_request(
            resource, kind,
            {signed_by(impostor, resource, kind, dictionary_value(bytes("k"), "v"))}))) ==
        reload_error_code::forbidden);
  CHECK(f.store.resource_count() == 0);
}

TEST_CASE("an original store's message signer must satisfy the policy too; a replica's need not") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  const auto value = f.app_entry("k", "v");
  CHECK(refused(f.put(store_request(resource, kind, {value}), as_signer(f.bob))) ==
        reload_error_code::forbidden);
  CHECK(f.store.resource_count() == 0);
  ok(f.put(store_request(resource, kind, {value}, 7, 1), as_signer(f.bob)));
  ok(f.put(store_request(resource, kind, {value}), as_signer(f.alice)));
  CHECK(f.store.value_count() == 1);
}

TEST_CASE("anonymous values, the synthesized kind, cannot be stored") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  auto value = f.app_entry("k", "v");
  value.signature.algorithm = {wire::hash_algorithm::none, wire::signature_algorithm::anonymous};
  CHECK(refused(f.put(store_request(resource, kind, {value}))) == reload_error_code::forbidden);
  value.signature = {};
  value.signature.identity.type = static_cast<std::uint8_t>(wire::signer_identity_type::none);
  CHECK(refused(f.put(store_request(resource, kind, {value}))) == reload_error_code::forbidden);
  CHECK(f.store.resource_count() == 0);
}

TEST_CASE("an unknown Kind fails the whole request with Error_Unknown_Kind listing it") {
  fixture f;
  const auto& resource = f.home;
  auto request = store_request(resource, app_data_kind, {f.app_entry("k", "v")});
  const wire::kind_id stranger{0xf0000abc};
  request.kind_data.push_back(
      {stranger, wire::generation_counter{0}, wire::undecoded_values{{1, 2, 3}}});
  const auto error = f.put(request);
  CHECK(refused(error) == reload_error_code::unknown_kind);
  CHECK(error.error().error_info == std::vector<std::uint8_t>{4, 0xf0, 0x00, 0x0a, 0xbc});
  CHECK(f.store.resource_count() == 0);
}

TEST_CASE("generation counters: a stale one fails with the current ones in a StoreAns") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  const auto at = [&](std::uint64_t t, const char* text) { return f.app_entry("k", text, t); };
  ok(f.put(store_request(resource, kind, {at(0, "v1")})));     // generation 1
  ok(f.put(store_request(resource, kind, {at(1, "v2")}, 1)));  // matches: 2
  const auto before = f.store.resources();
  const auto stale = f.put(store_request(resource, kind, {at(2, "v3")}, 1));
  CHECK(refused(stale) == reload_error_code::generation_counter_too_low);
  const auto info = wire::from_bytes<wire::store_ans>(stale.error().error_info);
  REQUIRE(info);
  REQUIRE(info->kind_responses.size() == 1);
  CHECK(info->kind_responses[0].kind == kind);
  CHECK(info->kind_responses[0].generation.value == 2);
  CHECK(info->kind_responses[0].replicas.empty());
  // Any mismatch is refused, a counter ahead of the store's as well.
  CHECK(refused(f.put(store_request(resource, kind, {at(2, "v3")}, 9))) ==
        reload_error_code::generation_counter_too_low);
  CHECK(f.store.resources() == before);
  // 0 means "do not check".
  CHECK(ok(f.put(store_request(resource, kind, {at(2, "v3")}, 0)))
            .kind_responses[0]
            .generation.value == 3);
}

TEST_CASE("storage_time: older data is refused; a repeat of the same store changes nothing") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  const auto at = [&](std::uint64_t t, const char* text) { return f.app_entry("k", text, t); };
  const auto current = at(10, "current");
  ok(f.put(store_request(resource, kind, {current})));
  const auto before = f.store.resources();
  CHECK(refused(f.put(store_request(resource, kind, {at(9, "rollback")}))) ==
        reload_error_code::data_too_old);
  CHECK(refused(f.put(store_request(resource, kind, {at(10, "same time, other value")}))) ==
        reload_error_code::data_too_old);
  CHECK(f.store.resources() == before);
  // The identical store again (a retransmission): accepted, nothing changes.
  CHECK(ok(f.put(store_request(resource, kind, {current}))).kind_responses[0].generation.value ==
        1);
  CHECK(f.store.resources() == before);
  // Two values for one key in one request must be in storage_time order too.
  CHECK(refused(f.put(store_request(resource, kind, {at(20, "b"), at(15, "a")}))) ==
        reload_error_code::data_too_old);
  CHECK(f.store.resources() == before);
}

TEST_CASE("limits: too large or too many values store nothing of the request") {
  fixture f;
  auto sip = *f.kinds.find(app_data_kind);
  sip.max_count = 2;
  sip.max_size = 8;
  REQUIRE_FALSE(f.kinds.define(sip));
  auto by_user = *f.kinds.find(known::certificate_by_user);
  by_user.max_count = 2;
  REQUIRE_FALSE(f.kinds.define(by_user));

  const auto& resource = f.home;
  const auto kind = app_data_kind;
  const auto entry = [&](const char* key, const char* text) { return f.app_entry(key, text); };
  const auto cert = signed_by(f.alice, resource, known::certificate_by_user, array_value(0, "c"));

  // A valid Kind alongside a too-large value: neither is stored.
  auto request = store_request(resource, known::certificate_by_user, {cert});
  request.kind_data.push_back(
      {kind, wire::generation_counter{0}, std::vector<wire::stored_data>{entry("a", "123456789")}});
  CHECK(refused(f.put(request)) == reload_error_code::data_too_large);
  CHECK(f.store.resource_count() == 0);

  // A third key when two are allowed.
  request.kind_data[1].values =
      std::vector<wire::stored_data>{entry("a", "1"), entry("b", "2"), entry("c", "3")};
  CHECK(refused(f.put(request)) == reload_error_code::forbidden);
  CHECK(f.store.resource_count() == 0);

  // An array index at max-count, also by appending.
  CHECK(refused(f.put(store_request(
            resource, known::certificate_by_user,
            {signed_by(f.alice, resource, known::certificate_by_user, array_value(2, "c"))}))) ==
        reload_error_code::forbidden);
  ok(f.put(store_request(
      resource, known::certificate_by_user,
      {cert, signed_by(f.alice, resource, known::certificate_by_user, array_value(1, "d"))})));
  CHECK(refused(f.put(store_request(
            resource, known::certificate_by_user,
            {signed_by(f.alice, resource, known::certificate_by_user,
                       array_value(wire::array_append_index, "e", now_ms() + 1))}))) ==
        reload_error_code::forbidden);
  CHECK(f.store.value_count() == 2);

  // Exactly at the limits is fine.
  request.kind_data[1].values =
      std::vector<wire::stored_data>{entry("a", "12345678"), entry("b", "2")};
  request.kind_data.erase(request.kind_data.begin());
  ok(f.put(request));
  CHECK(f.store.value_count() == 4);
}

TEST_CASE("a request is all-or-nothing across Kinds") {
  fixture f;
  const auto& resource = f.home;
  auto request = store_request(resource, app_data_kind, {f.app_entry("k", "v")});
  request.kind_data.push_back(
      {known::certificate_by_user, wire::generation_counter{0},
       std::vector<wire::stored_data>{
           signed_by(f.bob, resource, known::certificate_by_user, array_value(0, "bob"))}});
  CHECK(refused(f.put(request)) == reload_error_code::forbidden);
  CHECK(f.store.resource_count() == 0);
  // A repeated Kind-ID is malformed.
  request.kind_data[1] = request.kind_data[0];
  CHECK(refused(f.put(request)) == reload_error_code::invalid_message);
}

TEST_CASE("replica stores take the sender's generation, never 0, and skip the generation check") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  const auto value = f.app_entry("k", "v");
  CHECK(refused(f.put(store_request(resource, kind, {value}, 0, 1))) ==
        reload_error_code::invalid_message);
  CHECK(
      ok(f.put(store_request(resource, kind, {value}, 41, 1))).kind_responses[0].generation.value ==
      41);
  const auto newer = f.app_entry("k", "w", 1);
  CHECK(
      ok(f.put(store_request(resource, kind, {newer}, 5, 2))).kind_responses[0].generation.value ==
      5);
  // Replicas still need valid signatures from an authorised signer.
  CHECK(refused(f.put(store_request(
            resource, kind,
            {signed_by(f.bob, resource, kind, dictionary_value(bytes("k"), "x", now_ms() + 2))}, 6,
            1))) == reload_error_code::forbidden);
}

TEST_CASE("the answer lists the replicas the caller passes") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  store_context context{.now = test_now(),
                        .certificates = f.certificates,
                        .request_signer = {},
                        .replicas = {f.bob.node(), f.alice.node()}};
  const auto ans =
      ok(f.service.store(store_request(resource, kind, {f.app_entry("k", "v")}), context));
  CHECK(ans.kind_responses[0].replicas == context.replicas);
}

TEST_CASE("lifetimes: values expire from receipt, a newer store refreshes them") {
  fixture f;
  const auto& resource = f.home;
  const auto kind = app_data_kind;
  using std::chrono::seconds;
  ok(f.put(store_request(resource, kind, {f.app_entry("a", "1", 0, 10)})));
  ok(f.put(store_request(resource, kind, {f.app_entry("b", "2", 0, 10)})));
  // Refresh "b" 5 s later for another 10 s.
  ok(f.put(store_request(resource, kind, {f.app_entry("b", "2", 5000, 10)}), std::nullopt,
           test_now() + seconds(5)));

  const auto later = test_now() + seconds(12);
  auto values = values_of(f.get(resource, whole(kind, wire::data_model::dictionary), later));
  REQUIRE(values.size() == 1);  // fetch hides expired values even before expire()
  CHECK(text_of(values[0]) == "2");

  const auto expired = f.store.expire(later);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].resource == resource);
  CHECK(expired[0].kind == kind);
  CHECK(dictionary_key_of(expired[0].data) == bytes("a"));
  CHECK(f.store.value_count() == 1);
  CHECK(f.store.expire(test_now() + seconds(16)).size() == 1);
  CHECK(f.store.resource_count() == 0);
}
