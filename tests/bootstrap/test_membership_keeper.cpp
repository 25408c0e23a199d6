// The membership keeper on a simulated network: one node it governs (started
// by the keeper, not the world) next to rings the world grows, with a fake
// dialler that maps addresses to simulated nodes.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "bootstrap/membership_keeper.hpp"
#include "overlay/chord_topology.hpp"
#include "overlay/message_security.hpp"
#include "overlay/ring.hpp"
#include "overlay/sim/overlay_world.hpp"
#include "runtime/logger.hpp"

using namespace p2psip;
using namespace std::chrono_literals;
using overlay::node_id;
using overlay::node_state;

namespace {

// Fixed, short stabilization intervals keep the simulated runs brief.
overlay::overlay_config quick_overlay() {
  overlay::overlay_config config;
  config.self_tuning = false;
  config.chord_update_interval = 5s;
  config.chord_ping_interval = 5s;
  return config;
}

overlay::sim::world_config quick_world(std::uint64_t seed) {
  overlay::sim::world_config config;
  config.seed = seed;
  config.network.seed = seed;
  config.network.failure_detection_delay = 2s;
  config.overlay = quick_overlay();
  return config;
}

// A node governed by a membership_keeper, on the world's network.
class kept_node final : public overlay::transport_events, public bootstrap::peer_dialler {
 public:
  kept_node(overlay::sim::overlay_world& world, bootstrap::membership_options options)
      : world_(world), self_(overlay::from_uint128(overlay::uint128{42} << 64)), security_(self_) {
    auto& transport = world.net().add_node(self_, *this);
    node_ = std::make_unique<overlay::overlay_node>(
        self_, quick_overlay(), world.scheduler(), transport, security_,
        [](overlay::overlay_node& n) { return std::make_unique<overlay::chord_topology>(n); }, 7);
    keeper_ = std::make_unique<bootstrap::membership_keeper>(*node_, world.scheduler(), *this,
                                                             std::move(options));
  }
  ~kept_node() override {
    keeper_.reset();
    node_->stop();
  }

  overlay::overlay_node& node() { return *node_; }
  bootstrap::membership_keeper& keeper() { return *keeper_; }
  const node_id& self() const { return self_; }

  // Who listens at `where` from now on.
  void place(const bootstrap::peer_address& where, const node_id& peer) {
    at_[where.text()] = peer;
  }
  int dials(const bootstrap::peer_address& where) const {
    const auto it = dials_.find(where.text());
    return it == dials_.end() ? 0 : it->second;
  }

  // --- transport_events -----------------------------------------------------
  void on_message(const node_id& from, std::span<const std::uint8_t> message) override {
    node_->on_message(from, message);
  }
  void on_link_up(const node_id& peer) override {
    node_->on_link_up(peer);
    keeper_->link_up(peer);
  }
  void on_link_down(const node_id& peer) override {
    node_->on_link_down(peer);
    keeper_->link_down(peer);
  }

  // --- peer_dialler ---------------------------------------------------------
  void dial_address(const bootstrap::peer_address& where, identified_handler identified) override {
    ++dials_[where.text()];
    const auto it = at_.find(where.text());
    if (it == at_.end() || !world_.net().alive(it->second)) {
      world_.scheduler().schedule(100ms, [identified] { identified(std::nullopt, "refused"); });
      return;
    }
    const node_id peer = it->second;
    world_.net().connect(self_, peer);
    world_.scheduler().schedule(50ms, [this, peer, identified] {
      if (world_.net().linked(self_, peer)) {
        identified(peer, "");
      } else {
        identified(std::nullopt, "refused");
      }
    });
  }
  void dial(const node_id& peer, const boost::asio::ip::tcp::endpoint&) override {
    world_.net().connect(self_, peer);
  }
  bool connected(const node_id& peer) const override { return node_->connected(peer); }
  std::size_t link_count() const override { return node_->linked_peers().size(); }
  std::optional<boost::asio::ip::tcp::endpoint> listen_address(const node_id& peer) const override {
    for (const auto& [text, id] : at_) {
      if (id == peer) {
        const auto colon = text.find(':');
        return boost::asio::ip::tcp::endpoint(
            boost::asio::ip::make_address(text.substr(0, colon)),
            static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1))));
      }
    }
    return std::nullopt;
  }

 private:
  overlay::sim::overlay_world& world_;
  node_id self_;
  overlay::unsigned_message_security security_;
  std::unique_ptr<overlay::overlay_node> node_;
  std::unique_ptr<bootstrap::membership_keeper> keeper_;
  std::map<std::string, node_id> at_;
  std::map<std::string, int> dials_;
};

// Whether the world's joined nodes and the kept one form one ring: each
// one's nearest successor is the next Node-ID up, wrapping around.
bool one_ring(overlay::sim::overlay_world& world, kept_node& kept) {
  if (kept.node().state() != node_state::joined) return false;
  auto ids = world.joined_ids();
  ids.push_back(kept.self());
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto* node = ids[i] == kept.self() ? &kept.node() : world.node(ids[i]);
    const auto successors = node->topology().view().successors;
    if (successors.empty() || successors.front() != ids[(i + 1) % ids.size()]) return false;
  }
  return true;
}

bool settles_into_one_ring(overlay::sim::overlay_world& world, kept_node& kept,
                           overlay::duration within) {
  for (auto waited = 0s; waited < within; waited += 1s) {
    if (one_ring(world, kept)) return true;
    world.scheduler().run_for(1s);
  }
  return one_ring(world, kept);
}

const bootstrap::peer_address bootstrap_at{"10.0.0.1", 6084};

bootstrap::membership_options dialling(const bootstrap::peer_address& where,
                                       std::filesystem::path known_peers = {}) {
  bootstrap::membership_options options;
  options.bootstrap_nodes = {where};
  options.known_peers_file = std::move(known_peers);
  return options;
}

// Starts the kept node with `first` as its bootstrap node, in one ring
// with the world's nodes within `within`.
void start_through(overlay::sim::overlay_world& world, kept_node& kept, const node_id& first,
                   overlay::duration within) {
  kept.place(bootstrap_at, first);
  kept.keeper().start();
  REQUIRE(settles_into_one_ring(world, kept, within));
}

struct quiet_logs {
  quiet_logs() { runtime::logs.set_off(); }
};
const quiet_logs quiet;

}  // namespace

TEST_CASE("without bootstrap peers or discovery a node starts an overlay of its own at once") {
  overlay::sim::overlay_world world(quick_world(1));
  kept_node kept(world, {});
  kept.keeper().start();
  CHECK(kept.node().state() == node_state::joined);
}

TEST_CASE("a node joins the ring of its bootstrap node") {
  overlay::sim::overlay_world world(quick_world(2));
  const auto first = world.add_node_alone();
  for (int i = 0; i < 3; ++i) world.add_node_joining(first);
  world.scheduler().run_for(10s);
  kept_node kept(world, dialling(bootstrap_at));
  start_through(world, kept, first, 20s);
}

TEST_CASE("with nobody answering a node starts alone after the wait, backing off meanwhile") {
  overlay::sim::overlay_world world(quick_world(3));
  kept_node kept(world, dialling(bootstrap_at));
  kept.keeper().start();
  world.scheduler().run_for(4s);
  CHECK(kept.node().state() == node_state::idle);
  // Dialled at 0, then after 1 s and 2 s of backoff.
  CHECK(kept.dials(bootstrap_at) == 3);
  world.scheduler().run_for(2s);
  CHECK(kept.node().state() == node_state::joined);
}

TEST_CASE("a node that started alone merges with its bootstrap node's ring when it answers") {
  overlay::sim::overlay_world world(quick_world(4));
  kept_node kept(world, dialling(bootstrap_at));
  kept.keeper().start();
  world.scheduler().run_for(6s);
  REQUIRE(kept.node().state() == node_state::joined);
  const auto first = world.add_node_alone();
  world.add_node_joining(first);
  kept.place(bootstrap_at, first);
  // The next dial of the backoff links and introduces.
  CHECK(settles_into_one_ring(world, kept, 60s));
}

TEST_CASE("a node whose only peer leaves goes on alone at once and merges with a newcomer") {
  overlay::sim::overlay_world world(quick_world(6));
  const auto first = world.add_node_alone();
  world.scheduler().run_for(1s);
  kept_node kept(world, dialling(bootstrap_at));
  start_through(world, kept, first, 20s);

  // The simulated leaver vanishes like a crash once its Leave is out: its
  // link goes down after failure detection (2 s here), as a closed TLS
  // session does at once.
  world.leave(first);
  world.scheduler().run_for(3s);
  REQUIRE(kept.node().state() == node_state::joined);
  CHECK(kept.node().topology().is_responsible(overlay::from_uint128(7)));

  world.add_node_joining(kept.self());
  CHECK(settles_into_one_ring(world, kept, 10s));
}

TEST_CASE("a node whose peers all crash goes on alone and merges with a newcomer") {
  overlay::sim::overlay_world world(quick_world(7));
  const auto first = world.add_node_alone();
  const auto second = world.add_node_joining(first);
  world.scheduler().run_for(3s);
  kept_node kept(world, dialling(bootstrap_at));
  start_through(world, kept, first, 30s);

  world.crash(first);
  world.crash(second);
  // Failure detection takes 2 s here.
  world.scheduler().run_for(4s);
  REQUIRE(kept.node().state() == node_state::joined);

  world.add_node_joining(kept.self());
  CHECK(settles_into_one_ring(world, kept, 10s));
}

TEST_CASE("a node linked in a ring of its own still merges with its bootstrap node's ring") {
  // The two sides of a healed partition: every node has links, so none
  // needs a way in; only the merge probe dials across.
  overlay::sim::overlay_world world(quick_world(9));
  kept_node kept(world, dialling(bootstrap_at));
  kept.keeper().start();
  world.scheduler().run_for(6s);
  REQUIRE(kept.node().state() == node_state::joined);
  world.add_node_joining(kept.self());
  world.scheduler().run_for(10s);
  REQUIRE(kept.node().linked_peers().size() == 1);

  const auto first = world.add_node_alone();
  world.add_node_joining(first);
  kept.place(bootstrap_at, first);
  // One probe period (30 s ± 25%) and the stabilization after it.
  CHECK(settles_into_one_ring(world, kept, 90s));
}

TEST_CASE("a joined node without links keeps dialling its bootstrap node, backing off") {
  overlay::sim::overlay_world world(quick_world(8));
  kept_node kept(world, dialling(bootstrap_at));
  kept.keeper().start();
  world.scheduler().run_for(6s);
  REQUIRE(kept.node().state() == node_state::joined);
  const int dials_when_alone = kept.dials(bootstrap_at);
  world.scheduler().run_for(10min);
  // Backoff doubles to 60 s: some 14 more dials in 10 minutes, not 600.
  CHECK(kept.dials(bootstrap_at) > dials_when_alone + 5);
  CHECK(kept.dials(bootstrap_at) < dials_when_alone + 20);
}

TEST_CASE("the last-known peers are written and dialled at the next start") {
  const auto dir = std::filesystem::temp_directory_path() / "p2psip-membership-keeper-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / "peers";
  overlay::sim::overlay_world world(quick_world(5));
  const auto first = world.add_node_alone();
  world.scheduler().run_for(1s);
  {
    kept_node kept(world, dialling(bootstrap_at, file));
    kept.place(bootstrap_at, first);
    kept.keeper().start();
    world.scheduler().run_for(10s);
    REQUIRE(kept.node().state() == node_state::joined);
    kept.keeper().stop();
  }
  const auto saved = bootstrap::load_known_peers(file);
  REQUIRE(saved.peers.size() == 1);
  CHECK(saved.peers.front().node_id == first);
  std::filesystem::remove_all(dir);
}
