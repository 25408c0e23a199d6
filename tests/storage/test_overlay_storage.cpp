// Storage across a simulated overlay (RFC 6940 §10.4, §10.5, §10.7.3): a
// value lives on the responsible peer and its two successors, moves to a
// joining peer that takes over its range, and survives the crash of the
// responsible peer, after which three copies exist again.
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "overlay/sim/overlay_world.hpp"
#include "storage/kind_registry.hpp"
#include "storage/overlay_storage.hpp"
#include "storage/simulated_data_verifier.hpp"
#include "wire/fetch.hpp"
#include "wire/id_hash.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

class storage_world {
 public:
  explicit storage_world(std::uint64_t seed) : kinds_(storage::kind_registry::with_defaults()), world_(config(seed)) {
    world_.on_node_created = [this](overlay::overlay_node& n) {
      storages_.emplace(n.self(), std::make_unique<storage::overlay_storage>(n, kinds_, verifier_));
    };
    world_.on_node_destroyed = [this](overlay::overlay_node& n) { storages_.erase(n.self()); };
  }

  overlay::sim::overlay_world& world() { return world_; }

  void grow(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      world_.add_node();
      world_.scheduler().run_for(3s);
    }
    world_.scheduler().run_for(60s);
  }

  // Stores one app-data value for `user` from `from`; true when answered.
  bool store(const wire::node_id& from, const std::string& user) {
    const auto resource = wire::hash_resource_name(user);
    wire::stored_data data;
    data.storage_time = world_.node(from)->wall_clock_ms();
    data.lifetime = 3600;
    wire::dictionary_entry entry;
    entry.key = {'k'};
    entry.value.exists = true;
    entry.value.value = {1, 2, 3};
    data.value.entry = entry;
    REQUIRE(storage::sign_simulated(resource, storage::app_data_kind, data, storage::signer{user, from}));
    wire::store_req request;
    request.resource = resource;
    request.kind_data.push_back({storage::app_data_kind, wire::generation_counter{0},
                                 std::vector<wire::stored_data>{data}});
    std::optional<bool> ok;
    auto destination = wire::destination::resource(resource);
    world_.node(from)->send_request({destination}, {wire::message_code::store_req, request},
                                    [&](overlay::answer_result r) { ok = r.has_value(); });
    for (int i = 0; i < 200 && !ok; ++i) world_.scheduler().run_for(100ms);
    world_.scheduler().run_for(2s);  // replicas
    return ok.value_or(false);
  }

  // The live peers holding `user`'s value.
  std::vector<wire::node_id> holders(const std::string& user) const {
    std::vector<wire::node_id> ids;
    for (const auto& [id, s] : storages_) {
      if (s->store().find(wire::hash_resource_name(user), storage::app_data_kind)) ids.push_back(id);
    }
    return ids;
  }

  // The responsible peer and its two successors, from the global view.
  std::vector<wire::node_id> replica_set(const std::string& user) const {
    const auto ring = world_.joined_ids();
    const auto key = *overlay::resource_key(wire::hash_resource_name(user));
    const auto first = std::lower_bound(ring.begin(), ring.end(), key) - ring.begin();
    std::vector<wire::node_id> set;
    for (std::size_t i = 0; i < 3; ++i) set.push_back(ring[(first + i) % ring.size()]);
    std::sort(set.begin(), set.end());
    return set;
  }

 private:
  static overlay::sim::world_config config(std::uint64_t seed) {
    overlay::sim::world_config c;
    c.seed = seed;
    c.network.seed = seed;
    c.network.failure_detection_delay = 10s;
    c.overlay.self_tuning = false;
    c.overlay.chord_update_interval = 30s;
    return c;
  }

  storage::kind_registry kinds_;
  storage::simulated_data_verifier verifier_;
  std::map<wire::node_id, std::unique_ptr<storage::overlay_storage>> storages_;
  overlay::sim::overlay_world world_;
};

}  // namespace

TEST_CASE("a stored value sits on the responsible peer and its two successors") {
  storage_world w(31);
  w.grow(16);
  const auto ring = w.world().joined_ids();
  for (int i = 0; i < 10; ++i) {
    const std::string user = "user" + std::to_string(i) + "@example.org";
    REQUIRE(w.store(ring[static_cast<std::size_t>(i) % ring.size()], user));
    CHECK(w.holders(user) == w.replica_set(user));
  }
}

TEST_CASE("data survives the crash of the responsible peer and is re-replicated") {
  storage_world w(37);
  w.grow(16);
  const std::string user = "alice@example.org";
  REQUIRE(w.store(w.world().joined_ids()[0], user));
  const auto before = w.replica_set(user);
  REQUIRE(w.holders(user) == before);
  const auto responsible = *overlay::resource_key(wire::hash_resource_name(user));
  const auto ring = w.world().joined_ids();
  const auto owner = overlay::responsible_peer(ring, responsible);
  w.world().crash(owner);
  w.world().scheduler().run_for(60s);  // detection (10 s), repair, migration
  CHECK(w.holders(user) == w.replica_set(user));
  CHECK(w.holders(user).size() == 3);
}

TEST_CASE("a joining peer that takes over a range receives its data") {
  storage_world w(41);
  w.grow(12);
  const std::string user = "bob@example.org";
  REQUIRE(w.store(w.world().joined_ids()[0], user));
  // A new node just before the value's responsible peer becomes responsible.
  const auto key = *overlay::resource_key(wire::hash_resource_name(user));
  const auto newcomer = w.world().add_node(key);
  w.world().scheduler().run_for(60s);
  const auto holders = w.holders(user);
  CHECK(std::find(holders.begin(), holders.end(), newcomer) != holders.end());
  CHECK(holders == w.replica_set(user));
}

TEST_CASE("a graceful leave hands the data on before the peer goes") {
  storage_world w(43);
  w.grow(12);
  const std::string user = "carol@example.org";
  REQUIRE(w.store(w.world().joined_ids()[0], user));
  const auto key = *overlay::resource_key(wire::hash_resource_name(user));
  const auto owner = overlay::responsible_peer(w.world().joined_ids(), key);
  w.world().leave(owner);
  w.world().scheduler().run_for(20s);
  CHECK(w.holders(user) == w.replica_set(user));
}

// Two adjacent peers crash one after the other in a small ring (the first
// replica holder, then the responsible peer): every value, wherever it was,
// is back on three peers, its replica set in the ring that is left.
TEST_CASE("after two adjacent crashes in a ring of five every value has three copies again") {
  for (const std::uint64_t seed : {51, 53, 57, 59}) {
    INFO("seed " << seed);
    storage_world w(seed);
    w.grow(5);
    std::vector<std::string> users;
    for (int i = 0; i < 12; ++i) {
      users.push_back("user" + std::to_string(i) + "@example.org");
      REQUIRE(w.store(w.world().joined_ids()[static_cast<std::size_t>(i) % 5], users.back()));
    }
    const auto ring = w.world().joined_ids();
    const auto key = *overlay::resource_key(wire::hash_resource_name(users[0]));
    const auto owner = overlay::responsible_peer(ring, key);
    const auto at = std::find(ring.begin(), ring.end(), owner) - ring.begin();
    w.world().crash(ring[static_cast<std::size_t>(at + 1) % ring.size()]);
    w.world().scheduler().run_for(60s);
    w.world().crash(owner);
    w.world().scheduler().run_for(90s);
    REQUIRE(w.world().joined_ids().size() == 3);
    for (const auto& user : users) {
      INFO(user);
      CHECK(w.holders(user) == w.replica_set(user));
    }
  }
}
