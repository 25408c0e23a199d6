// A whole overlay in one process: real overlay_node and CHORD-RELOAD code on
// the simulated network and clock, with the global view (who is alive, who
// should be responsible) that tests and the simulator check against.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "overlay/chord_topology.hpp"
#include "overlay/message_security.hpp"
#include "overlay/overlay_node.hpp"
#include "overlay/sim/event_scheduler.hpp"
#include "overlay/sim/network.hpp"

namespace p2psip::overlay::sim {

struct world_config {
  overlay_config overlay;
  network_config network;
  std::uint64_t seed = 1;
};

class overlay_world {
 public:
  explicit overlay_world(world_config config = {});
  ~overlay_world();
  overlay_world(const overlay_world&) = delete;
  overlay_world& operator=(const overlay_world&) = delete;

  event_scheduler& scheduler() noexcept { return scheduler_; }
  // The configuration of the nodes added from now on, so that a test can
  // give one node other limits than the rest.
  overlay_config& config_for_new_nodes() noexcept { return config_.overlay; }
  network& net() noexcept { return network_; }
  std::mt19937_64& random() noexcept { return random_; }

  // Runs for each node as it is created, before it joins: upper layers
  // (storage) attach themselves here.
  std::function<void(overlay_node&)> on_node_created;
  // Runs just before a node is destroyed (crash or after leaving).
  std::function<void(overlay_node&)> on_node_destroyed;

  // A new node with a random (or the given) Node-ID. The first node, or one
  // with no live joined peer, starts the overlay; the others link to a random
  // joined node and join through it.
  node_id add_node(std::optional<node_id> id = std::nullopt);
  // For separate rings (overlay merge tests): a node that starts an overlay
  // of its own whoever else is alive, and one that joins through `bootstrap`.
  node_id add_node_alone(std::optional<node_id> id = std::nullopt);
  node_id add_node_joining(const node_id& bootstrap, std::optional<node_id> id = std::nullopt);
  // Stops the node dead: peers notice only by failure detection.
  void crash(const node_id& id);
  // Graceful: the node's Leave (and before-leave hooks) run first; `done`
  // learns whether the hooks handed everything over.
  void leave(const node_id& id, std::function<void(bool handed_over)> done = {});

  overlay_node* node(const node_id& id);
  chord_topology* chord(const node_id& id);
  // A live joined node chosen uniformly at random, nullopt when there is
  // none; cheap, where listing the ring costs a walk over every member.
  std::optional<node_id> random_joined();
  // Live nodes in the joined state, ascending: the ring as it should be.
  std::vector<node_id> joined_ids() const;
  std::size_t live_count() const;

  // Whether every joined node's nearest successor and predecessor are the
  // true ones. `mismatches` (when given) counts the nodes that disagree.
  bool ring_consistent(std::size_t* mismatches = nullptr) const;
  // Share of joined nodes' finger entries that hold a live peer inside the
  // entry's range, over entries whose range holds any live peer.
  double finger_accuracy() const;

 private:
  struct member final : transport_events {
    std::unique_ptr<unsigned_message_security> security;
    std::unique_ptr<overlay_node> node;
    void on_message(const node_id& from, std::span<const std::uint8_t> message) override {
      if (node) node->on_message(from, message);
    }
    void on_link_up(const node_id& peer) override {
      if (node) node->on_link_up(peer);
    }
    void on_link_down(const node_id& peer) override {
      if (node) node->on_link_down(peer);
    }
  };
  void destroy(member& m);
  overlay_node& create_node(std::optional<node_id> id);
  void join_through(const node_id& self, const node_id& bootstrap);

  world_config config_;
  event_scheduler scheduler_;
  network network_;
  std::mt19937_64 random_;
  std::map<node_id, std::unique_ptr<member>> members_;
  std::vector<node_id> created_;  // every member's Node-ID, for sampling
};

}  // namespace p2psip::overlay::sim
