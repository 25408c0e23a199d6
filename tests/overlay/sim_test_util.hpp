// A small simulated overlay for the routing and ring suites: a seeded world
// with fixed (not self-tuned) CHORD intervals, grown one node at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "overlay/sim/overlay_world.hpp"

namespace p2psip::overlay::test {

inline sim::world_config fixed_interval_world(std::uint64_t seed) {
  using namespace std::chrono_literals;
  sim::world_config config;
  config.seed = seed;
  config.network.seed = seed;
  config.overlay.self_tuning = false;
  config.overlay.chord_update_interval = 30s;
  config.overlay.chord_ping_interval = 30s;
  return config;
}

// Adds `n` nodes three simulated seconds apart, then lets them settle.
inline void grow(sim::overlay_world& world, std::size_t n, duration settle) {
  using namespace std::chrono_literals;
  for (std::size_t i = 0; i < n; ++i) {
    world.add_node();
    world.scheduler().run_for(3s);
  }
  world.scheduler().run_for(settle);
}

// A ring of `n` nodes grown from one that started alone, apart from any
// other ring in the world (the two sides of a partition, say).
inline std::vector<node_id> separate_ring(sim::overlay_world& world, std::size_t n) {
  using namespace std::chrono_literals;
  std::vector<node_id> ring{world.add_node_alone()};
  for (std::size_t i = 1; i < n; ++i) {
    ring.push_back(world.add_node_joining(ring.front()));
    world.scheduler().run_for(3s);
  }
  return ring;
}

}  // namespace p2psip::overlay::test
