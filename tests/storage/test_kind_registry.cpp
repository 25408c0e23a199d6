#include <catch2/catch.hpp>

#include "storage/kind_registry.hpp"
#include "wire/codec.hpp"
#include "wire/store.hpp"

using namespace p2psip;
using namespace p2psip::storage;
using wire::data_model;
namespace known = wire::well_known_kind;

TEST_CASE("the defaults define the RFC Kinds with their models and policies") {
  const auto registry = kind_registry::with_defaults();
  REQUIRE(registry.all().size() == 6);

  const auto* sip = registry.find(known::sip_registration);
  REQUIRE(sip != nullptr);
  CHECK(sip->model == data_model::dictionary);
  CHECK(sip->policy == access_policy::user_node_match);

  const auto* turn = registry.find(known::turn_service);
  REQUIRE(turn != nullptr);
  CHECK(turn->model == data_model::single_value);
  CHECK(turn->policy == access_policy::node_multiple);
  CHECK(turn->max_node_multiple == 20);  // RFC 6940 §9

  const auto* by_node = registry.find(known::certificate_by_node);
  REQUIRE(by_node != nullptr);
  CHECK(by_node->model == data_model::array);
  CHECK(by_node->policy == access_policy::node_match);

  const auto* by_user = registry.find(known::certificate_by_user);
  REQUIRE(by_user != nullptr);
  CHECK(by_user->model == data_model::array);
  CHECK(by_user->policy == access_policy::user_match);

  const auto* app = registry.find(app_data_kind);
  REQUIRE(app != nullptr);
  CHECK(app->model == data_model::dictionary);
  CHECK(app->policy == access_policy::user_match);
  // RFC 6940 §14.6 private use: 0xF0000001..0xFFFFFFFE.
  CHECK(app_data_kind.value >= 0xf0000001u);
  CHECK(app_data_kind.value <= 0xfffffffeu);

  const auto* inbox = registry.find(sip_inbox_kind);
  REQUIRE(inbox != nullptr);
  CHECK(inbox->model == data_model::dictionary);
  CHECK(inbox->policy == access_policy::inbox);
  CHECK(sip_inbox_kind.value >= 0xf0000001u);

  for (const auto& definition : registry.all()) CHECK_FALSE(validate(definition));
}

TEST_CASE("an empty registry knows no Kind") {
  const kind_registry registry;
  CHECK(registry.find(known::sip_registration) == nullptr);
  CHECK_FALSE(registry.data_models()(known::sip_registration));
}

TEST_CASE("limits are configurable and a redefinition replaces the Kind") {
  auto registry = kind_registry::with_defaults();
  auto sip = *registry.find(known::sip_registration);
  sip.max_count = 3;
  sip.max_size = 100;
  REQUIRE_FALSE(registry.define(sip));
  CHECK(registry.find(known::sip_registration)->max_count == 3);
  CHECK(registry.find(known::sip_registration)->max_size == 100);
  CHECK(registry.all().size() == 6);

  const kind_definition extra{.kind = wire::kind_id{0xf0000010},
                              .model = data_model::array,
                              .policy = access_policy::node_match,
                              .max_count = 10,
                              .max_size = 10};
  REQUIRE_FALSE(registry.define(extra));
  CHECK(*registry.find(extra.kind) == extra);
}

TEST_CASE("unusable definitions are refused with a reason") {
  kind_registry registry;
  const auto refused = [&](kind_definition d) {
    const auto reason = registry.define(d);
    INFO(reason.value_or("accepted"));
    return reason.has_value() && registry.find(d.kind) == nullptr;
  };
  CHECK(refused({.kind = wire::kind_id{0}}));
  CHECK(refused({.kind = wire::kind_id{9}, .model = data_model::array, .max_count = 0}));
  CHECK(refused({.kind = wire::kind_id{9},
                 .model = data_model::array,
                 .policy = access_policy::user_node_match,
                 .max_count = 4}));
  CHECK(refused({.kind = wire::kind_id{9},
                 .model = data_model::single_value,
                 .policy = access_policy::node_multiple,
                 .max_node_multiple = 0}));
  CHECK(refused({.kind = wire::kind_id{9},
                 .model = data_model::single_value,
                 .policy = access_policy::node_multiple,
                 .max_node_multiple = 256}));
  CHECK(refused({.kind = wire::kind_id{9}, .model = data_model::single_value, .max_count = 2}));
  CHECK(refused({.kind = wire::kind_id{9},
                 .model = data_model::array,
                 .policy = access_policy::inbox,
                 .max_count = 4}));
}

TEST_CASE("the registry's lookup lets the codec decode its Kinds, the private one included") {
  const auto registry = kind_registry::with_defaults();
  const auto models = registry.data_models();
  CHECK(models(known::certificate_by_user) == data_model::array);
  CHECK(models(app_data_kind) == data_model::dictionary);
  CHECK_FALSE(models(wire::kind_id{0xf0000099}));

  wire::stored_data value;
  value.value.entry = wire::dictionary_entry{{1, 2}, {true, {3}}};
  const wire::store_req request{
      .resource = *wire::resource_id::from_span(std::vector<std::uint8_t>(16, 7)),
      .replica_number = 0,
      .kind_data = {
          {app_data_kind, wire::generation_counter{0}, std::vector<wire::stored_data>{value}}}};
  const auto encoded = wire::to_bytes(request);
  REQUIRE(encoded);
  const auto decoded = wire::from_bytes<wire::store_req>(*encoded, models);
  REQUIRE(decoded);
  CHECK(decoded->kind_data.front().decoded());
  CHECK(*decoded == request);
}
