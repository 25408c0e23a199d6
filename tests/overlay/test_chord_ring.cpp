// CHORD-RELOAD ring invariants on the simulated network: after joins, crashes
// and graceful leaves, every node's nearest successor and predecessor are the
// true ones, and fingers point into their ranges.
#include <catch2/catch.hpp>

#include "sim_test_util.hpp"

using namespace p2psip::overlay;
using namespace std::chrono_literals;

using test::grow;

namespace {

sim::world_config small_world(std::uint64_t seed) {
  auto config = test::fixed_interval_world(seed);
  config.network.failure_detection_delay = 10s;
  return config;
}

}  // namespace

TEST_CASE("nodes joining one by one form one consistent ring") {
  sim::overlay_world world(small_world(7));
  grow(world, 24, 60s);
  std::size_t wrong = 99;
  CHECK(world.ring_consistent(&wrong));
  CHECK(wrong == 0);
  CHECK(world.joined_ids().size() == 24);
}

TEST_CASE("the ring heals after crashes, within a stabilization period") {
  sim::overlay_world world(small_world(11));
  grow(world, 24, 60s);
  REQUIRE(world.ring_consistent());
  auto ring = world.joined_ids();
  // Two adjacent nodes and one elsewhere: fewer than three in a row.
  world.crash(ring[3]);
  world.crash(ring[4]);
  world.crash(ring[15]);
  // Failure detection (10 s) plus one update interval (30 s, ±25 %).
  world.scheduler().run_for(60s);
  std::size_t wrong = 99;
  CHECK(world.ring_consistent(&wrong));
  CHECK(wrong == 0);
  CHECK(world.joined_ids().size() == 21);
}

TEST_CASE("graceful leaves repair the ring at once, without failure detection") {
  auto config = small_world(13);
  config.network.failure_detection_delay = 1000s;  // only Leave can tell
  sim::overlay_world world(config);
  grow(world, 16, 60s);
  REQUIRE(world.ring_consistent());
  auto ring = world.joined_ids();
  bool left = false;
  world.leave(ring[5], [&] { left = true; });
  world.leave(ring[9]);
  world.scheduler().run_for(10s);
  CHECK(left);
  std::size_t wrong = 99;
  CHECK(world.ring_consistent(&wrong));
  CHECK(wrong == 0);
}

TEST_CASE("fingers point into their ranges after stabilization") {
  sim::overlay_world world(small_world(17));
  grow(world, 40, 300s);
  CHECK(world.ring_consistent());
  CHECK(world.finger_accuracy() >= 0.95);
}
