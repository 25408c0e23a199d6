// Overlay merge: nodes that started overlays of their own (nobody to join)
// end up in one ring once one node of each ring is linked to the other and
// introduced (LAN discovery does this in p2psipd).
#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "sim_test_util.hpp"

using namespace p2psip::overlay;
using namespace std::chrono_literals;

namespace {

using test::separate_ring;

// Whether `id`'s nearest successor is in `ring` (the rings have not met).
bool successor_within(sim::overlay_world& world, const node_id& id,
                      const std::vector<node_id>& ring) {
  const auto& successors = world.chord(id)->table().neighbors().successors();
  return !successors.empty() &&
         std::find(ring.begin(), ring.end(), successors.front()) != ring.end();
}

}  // namespace

TEST_CASE("two separately formed rings merge into one after one node of each is introduced") {
  auto config = test::fixed_interval_world(23);
  config.network.failure_detection_delay = 10s;
  sim::overlay_world world(config);
  const auto first = separate_ring(world, 5);
  const auto second = separate_ring(world, 6);
  world.scheduler().run_for(60s);
  REQUIRE(world.joined_ids().size() == 11);
  for (const auto& id : first) REQUIRE(successor_within(world, id, first));
  for (const auto& id : second) REQUIRE(successor_within(world, id, second));
  REQUIRE_FALSE(world.ring_consistent());

  // What p2psipd does when discovery finds a node of the other ring: link, introduce.
  REQUIRE(world.net().connect(first.front(), second.front()));
  world.scheduler().run_for(200ms);
  REQUIRE(world.node(first.front())->connected(second.front()));
  world.node(first.front())->topology().introduce(second.front());

  // Stabilization runs every 30 s here; a few rounds close the ring.
  for (int round = 0; round < 20 && !world.ring_consistent(); ++round) {
    world.scheduler().run_for(30s);
  }
  std::size_t wrong = 99;
  CHECK(world.ring_consistent(&wrong));
  CHECK(wrong == 0);
  CHECK(world.joined_ids().size() == 11);
}

TEST_CASE("introducing a peer without a link to it changes nothing") {
  auto config = test::fixed_interval_world(29);
  sim::overlay_world world(config);
  const auto first = separate_ring(world, 3);
  const auto loner = world.add_node_alone();
  world.scheduler().run_for(30s);
  // Not linked: nothing is sent and the rings stay apart.
  world.node(first.front())->topology().introduce(loner);
  world.scheduler().run_for(60s);
  CHECK(world.chord(loner)->table().neighbors().successors().empty());
  for (const auto& id : first) CHECK(successor_within(world, id, first));
}
