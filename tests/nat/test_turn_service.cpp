// TURN-SERVICE (RFC 6940 §9) on a simulated overlay with storage: relays
// publish at H(Node-ID || d) for d = 1..turn-density, with replicas; another
// node finds them by Find at random Resource-IDs and Fetch; a withdrawn
// relay is found no more; refreshes keep the values beyond their lifetime.
// The relay_pool on top holds credentials from relays, and lets go of a
// relay a failed link points at.
#include <chrono>
#include <map>
#include <memory>

#include <catch2/catch.hpp>

#include "nat/relay_pool.hpp"
#include "nat/turn_service.hpp"
#include "overlay/sim/overlay_world.hpp"
#include "overlay/sim_test_util.hpp"
#include "storage/kind_registry.hpp"
#include "storage/overlay_storage.hpp"
#include "storage/simulated_data_verifier.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

class relay_world {
 public:
  relay_world()
      : kinds_(storage::kind_registry::with_defaults()),
        world_(overlay::test::fixed_interval_world(41)) {
    world_.on_node_created = [this](overlay::overlay_node& n) {
      storages_.emplace(n.self(), std::make_unique<storage::overlay_storage>(n, kinds_, verifier_));
    };
    world_.on_node_destroyed = [this](overlay::overlay_node& n) { storages_.erase(n.self()); };
    for (int i = 0; i < 12; ++i) {
      world_.add_node();
      world_.scheduler().run_for(3s);
    }
    world_.scheduler().run_for(60s);
  }

  overlay::sim::overlay_world& world() { return world_; }

  std::unique_ptr<nat::turn_service> service_on(const wire::node_id& id, std::uint32_t density,
                                                int find_attempts = 8) {
    auto* node = world_.node(id);
    return std::make_unique<nat::turn_service>(
        *node,
        [id](const wire::resource_id& resource, wire::kind_id kind, wire::stored_data& data) {
          return storage::sign_simulated(resource, kind, data, storage::signer{std::nullopt, id});
        },
        [node] { return node->wall_clock_ms(); },
        nat::turn_service_options{
            .density = density,
            .lifetime = 120s,
            .find_attempts = find_attempts,
            // A simulated signature names its signer's Node-ID first.
            .signer_of = [](const wire::signature& signature) {
              return wire::node_id::from_span(
                  std::span(signature.identity.hash).first(wire::node_id_length));
            }});
  }

  // TURN-SERVICE values (existing ones) held across the overlay.
  std::size_t stored_relays() const {
    std::size_t held = 0;
    for (const auto& [id, s] : storages_) {
      for (const auto& [resource, kinds] : s->store().resources()) {
        const auto* entry = s->store().find(resource, wire::well_known_kind::turn_service);
        if (entry == nullptr) continue;
        for (const auto& v : entry->values) {
          const auto* value = std::get_if<wire::data_value>(&v.data.value.entry);
          if (value != nullptr && value->exists) ++held;
        }
      }
    }
    return held;
  }

 private:
  storage::kind_registry kinds_;
  storage::simulated_data_verifier verifier_;
  std::map<wire::node_id, std::unique_ptr<storage::overlay_storage>> storages_;
  overlay::sim::overlay_world world_;
};

wire::ip_address_port relay_address(std::uint32_t addr) {
  return wire::ip_address_port{wire::ipv4_addr_port{addr, 3478}};
}

}  // namespace

TEST_CASE("relays published with a density are found by Find at random Resource-IDs") {
  relay_world w;
  const auto ids = w.world().joined_ids();
  auto first = w.service_on(ids[0], 6);
  auto second = w.service_on(ids[5], 6);
  std::size_t stored = 0;
  first->publish(relay_address(0xC6336401), [&](std::size_t n) { stored += n; });
  second->publish(relay_address(0xC6336402), [&](std::size_t n) { stored += n; });
  w.world().scheduler().run_for(5s);
  CHECK(stored == 12);
  CHECK(w.stored_relays() == 12 * 3);  // each with its two replicas

  auto finder = w.service_on(ids[9], 6);
  std::optional<std::vector<nat::found_relay>> found;
  finder->find([&](const auto& relays) { found = relays; });
  w.world().scheduler().run_for(10s);
  REQUIRE(found);
  REQUIRE_FALSE(found->empty());
  for (const auto& relay : *found) {
    REQUIRE(relay.node);
    CHECK((*relay.node == ids[0] || *relay.node == ids[5]));
    const auto* v4 = std::get_if<wire::ipv4_addr_port>(&relay.server.server_address.value);
    REQUIRE(v4 != nullptr);
    CHECK((v4->addr == 0xC6336401 || v4->addr == 0xC6336402));
    CHECK(relay.server.iteration >= 1);
    CHECK(relay.server.iteration <= 6);
  }

  // Refreshed at half the lifetime: still there well past one lifetime.
  w.world().scheduler().run_for(5min);
  CHECK(w.stored_relays() == 12 * 3);

  bool withdrawn = false;
  first->withdraw([&] { withdrawn = true; });
  second->withdraw([] {});
  w.world().scheduler().run_for(5s);
  CHECK(withdrawn);
  CHECK_FALSE(first->publishing());
  CHECK(w.stored_relays() == 0);
  auto late = w.service_on(ids[3], 6);
  std::optional<std::vector<nat::found_relay>> none;
  late->find([&](const auto& relays) { none = relays; });
  w.world().scheduler().run_for(20s);
  REQUIRE(none);
  CHECK(none->empty());
  // The node that found them before does not offer them from its cache.
  std::optional<std::vector<nat::found_relay>> again;
  finder->find([&](const auto& relays) { again = relays; });
  w.world().scheduler().run_for(20s);
  REQUIRE(again);
  CHECK(again->empty());
  CHECK(finder->cache().empty());
}

// A relay's own node looks for relays for its ICE agents: its own relay is
// no use to it, so one find probes on past it until another turns up
// (without the filter it stops at the first relay named, most often its own).
TEST_CASE("a find with a filter probes on until it meets a relay the filter wants") {
  relay_world w;
  const auto ids = w.world().joined_ids();
  auto own = w.service_on(ids[0], 6, 64);
  auto other = w.service_on(ids[5], 1);
  own->publish(relay_address(0xC6336401));
  other->publish(relay_address(0xC6336402));
  w.world().scheduler().run_for(5s);
  std::optional<std::vector<nat::found_relay>> found;
  const auto not_own = [&](const nat::found_relay& r) { return r.node && *r.node != ids[0]; };
  own->find([&](const auto& relays) { found = relays; }, not_own);
  w.world().scheduler().run_for(120s);
  REQUIRE(found);
  CHECK(std::ranges::any_of(*found, not_own));
}

TEST_CASE("a density of 0 publishes nothing and the density is capped at 20") {
  relay_world w;
  const auto ids = w.world().joined_ids();
  auto silent = w.service_on(ids[1], 0);
  std::optional<std::size_t> stored;
  silent->publish(relay_address(0xC6336403), [&](std::size_t n) { stored = n; });
  w.world().scheduler().run_for(5s);
  CHECK(stored == 0u);
  CHECK(w.stored_relays() == 0);
  auto dense = w.service_on(ids[2], 300);
  dense->publish(relay_address(0xC6336404), [&](std::size_t n) { stored = n; });
  w.world().scheduler().run_for(5s);
  CHECK(stored == 20u);
}

TEST_CASE("a relay hands TURN credentials to a member that asks by AppAttach") {
  relay_world w;
  const auto ids = w.world().joined_ids();
  const auto relay = ids[4];
  std::optional<wire::node_id> asked_by;
  w.world().node(relay)->set_app_attach_handler(
      nat::turn_credentials_application,
      [&](const wire::app_attach_req&, const wire::node_id& sender) {
        asked_by = sender;
        return std::optional(nat::turn_service::credentials_answer(
            {"1900000000:" + sender.hex(), "secret-password", {}}));
      });
  auto asker = w.service_on(ids[8], 1);
  std::optional<wire::basic_result<nat::overlay_turn_credentials, overlay::request_error>> got;
  asker->request_credentials(relay, [&](auto result) { got = std::move(result); });
  w.world().scheduler().run_for(5s);
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->username == "1900000000:" + ids[8].hex());
  CHECK((*got)->password == "secret-password");
  CHECK(asked_by == ids[8]);

  // A node that runs no relay refuses: the asker gets an error, not credentials.
  std::optional<wire::basic_result<nat::overlay_turn_credentials, overlay::request_error>> refused;
  asker->request_credentials(ids[2], [&](auto result) { refused = std::move(result); });
  w.world().scheduler().run_for(10s);
  REQUIRE(refused);
  CHECK_FALSE(refused->has_value());
}

TEST_CASE("a relay pool holds each relay's credentials and lets go of a relay at an address") {
  relay_world w;
  const auto ids = w.world().joined_ids();
  const std::vector<wire::node_id> relays{ids[3], ids[6]};
  for (std::size_t r = 0; r < relays.size(); ++r) {
    const auto at = static_cast<std::uint32_t>(0xcb007100 + r + 10);  // 203.0.113.10, .11
    w.world().node(relays[r])->set_app_attach_handler(
        nat::turn_credentials_application,
        [at](const wire::app_attach_req&, const wire::node_id& sender) {
          wire::ice_candidate relay_port;
          relay_port.addr_port = relay_address(at);
          relay_port.overlay_link = wire::overlay_link_type::dtls_udp_sr_no_ice;
          return std::optional(nat::turn_service::credentials_answer(
              {"1900000000:" + sender.hex(), "secret", {relay_port}}));
        });
  }
  auto service = w.service_on(ids[9], 1);
  nat::relay_pool pool(*service, ids[9], [] { return std::int64_t{1800000000}; });
  bool answered = false;
  pool.ask_now(relays, [&] { answered = true; });
  w.world().scheduler().run_for(10s);
  REQUIRE(answered);
  REQUIRE(pool.held() == 2);
  CHECK(pool.relays().size() == 4);  // each over UDP and TCP

  // Nothing held at another address: nothing goes.
  CHECK(pool.drop_at(boost::asio::ip::make_address("203.0.113.99")) == 0);
  CHECK(pool.held() == 2);
  CHECK(pool.drop_at(boost::asio::ip::make_address("203.0.113.10")) == 1);
  REQUIRE(pool.held() == 1);
  for (const auto& relay : pool.relays()) {
    CHECK(relay.server ==
          nat::transport_address(boost::asio::ip::make_address("203.0.113.11"), 3478));
  }
}
