// CHORD-RELOAD ring invariants on the simulated network: after joins, crashes
// and graceful leaves, every node's nearest successor and predecessor are the
// true ones, and fingers point into their ranges.
#include <catch2/catch.hpp>

#include <algorithm>
#include <initializer_list>
#include <vector>

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

// Crashes the ring members at `positions`, waits `wait`, and counts the
// nodes whose nearest successor or predecessor is then wrong.
std::size_t wrong_after_crashes(sim::overlay_world& world,
                                std::initializer_list<std::size_t> positions, duration wait) {
  const auto ring = world.joined_ids();
  for (auto i : positions) world.crash(ring[i]);
  world.scheduler().run_for(wait);
  std::size_t wrong = 99;
  world.ring_consistent(&wrong);
  return wrong;
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
  // Two adjacent nodes and one elsewhere: fewer than three in a row. Failure
  // detection (10 s) plus one update interval (30 s, ±25 %).
  CHECK(wrong_after_crashes(world, {3, 4, 15}, 60s) == 0);
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
  world.leave(ring[5], [&](bool) { left = true; });
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

// RFC 7363 §5: with self-tuning, recovery is periodic and each round sends
// Updates to the first successor and first predecessor only, so a quiet ring
// costs a few messages per node per minute however large its tables grow.
TEST_CASE("a self-tuned ring forms, heals periodically and keeps its Updates few") {
  auto config = small_world(19);
  config.overlay.self_tuning = true;
  sim::overlay_world world(config);
  grow(world, 32, 120s);
  std::size_t wrong = 99;
  CHECK(world.ring_consistent(&wrong));
  CHECK(wrong == 0);

  const auto before = world.net().stats().delivered;
  world.scheduler().run_for(600s);
  const double per_node_minute =
      static_cast<double>(world.net().stats().delivered - before) / 32.0 / 10.0;
  INFO("messages per node per minute " << per_node_minute);
  // Two Updates and their answers each period (15 s at the least) make 16;
  // Updates to all ten neighbours, as without self-tuning, would make ~80.
  CHECK(per_node_minute < 24.0);
  CHECK(world.ring_consistent());

  // Failure detection (10 s) plus a few self-tuned periods.
  CHECK(wrong_after_crashes(world, {6, 7, 20}, 180s) == 0);
  CHECK(world.joined_ids().size() == 29);
}

// ICE gathers candidates before an Attach offer or answer can leave: the ring
// must form as well when both take a while, and every offer must end opened
// or withdrawn (an ICE agent each, with its sockets and relay allocations).
TEST_CASE("a ring forms when Attach offers and answers take time to gather") {
  auto config = small_world(23);
  config.network.gathering_delay = 300ms;
  sim::overlay_world world(config);
  grow(world, 16, 60s);
  std::size_t wrong = 99;
  CHECK(world.ring_consistent(&wrong));
  CHECK(wrong == 0);
  CHECK(world.joined_ids().size() == 16);
  CHECK(world.net().stats().offers_outstanding == 0);

  // Attaches that fail (to crashed peers) withdraw their offers too.
  CHECK(wrong_after_crashes(world, {2, 9}, 120s) == 0);
  CHECK(world.net().stats().offers_outstanding == 0);
}

// §6.2.1: an AttachReq retransmitted while its answer is still gathering is
// the same request. Answering each copy would start an ICE agent per copy,
// and the offerer would check against one while the others wait in vain.
TEST_CASE("an Attach retransmitted while its answer gathers is answered once") {
  auto config = small_world(29);
  config.overlay.reliability_timer = 500ms;
  config.network.gathering_delay = 1200ms;  // two retransmissions meanwhile
  sim::overlay_world world(config);
  grow(world, 12, 60s);
  CHECK(world.ring_consistent());
  const auto& stats = world.net().stats();
  INFO("offers " << stats.offers << ", answers " << stats.answers);
  CHECK(stats.offers > 0);
  CHECK(stats.answers <= stats.offers);
}

// A partition seen from one side: half the ring fails at once (its links
// die, as when a bridge splits a LAN). The surviving half's far ends take
// each other into their lists by the failure alone, and only an Update tells
// the other end: with self-tuning, periodic Updates can be minutes apart, so
// every peer a failure moves into the lists is sent one (RFC 7363 §5.2).
TEST_CASE("half of a self-tuned ring failing at once leaves the other half one ring") {
  const auto seed = GENERATE(range(1, 13));
  INFO("seed " << seed);
  auto config = small_world(static_cast<std::uint64_t>(seed));
  config.overlay.self_tuning = true;
  sim::overlay_world world(config);
  grow(world, 8, 300s);
  REQUIRE(world.ring_consistent());
  std::vector<node_id> ring = world.joined_ids();
  std::shuffle(ring.begin(), ring.end(), world.random());
  for (std::size_t i = 0; i < 4; ++i) world.crash(ring[i]);
  // Failure detection (10 s), then well under one self-tuned period.
  world.scheduler().run_for(25s);
  std::size_t wrong = 99;
  CHECK(world.ring_consistent(&wrong));
  CHECK(wrong == 0);
  CHECK(world.joined_ids().size() == 4);
}
