#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "overlay/routing_table.hpp"
#include "overlay_test_util.hpp"

using namespace p2psip::overlay;
using p2psip::overlay::test::id;
using p2psip::overlay::test::random_id;
using p2psip::overlay::test::random_ring;
using p2psip::overlay::test::ring_max;

namespace {

const uint128 quarter = power_of_two(126);

// Self at 0 with neighbours at ±10, ±20, ±30 and fingers at 1/2, 1/4, 1/8 and
// 1/16 of the ring.
routing_table sample_table() {
  routing_table t(id(0));
  for (unsigned e : {127, 126, 125, 124}) t.add(id(power_of_two(e)));
  for (unsigned v : {10, 20, 30}) {
    t.add(id(v));
    t.add(id(ring_max + 1 - v));
  }
  return t;
}

// Every peer of the ring knows its true neighbours and, per finger, the
// responsible peer of a random point of the range (§10.7.4.2) when that peer
// lies in the range.
std::vector<std::unique_ptr<routing_table>> build_overlay(const std::vector<node_id>& ring,
                                                          std::mt19937_64& random) {
  std::vector<std::unique_ptr<routing_table>> tables;
  const std::size_t n = ring.size();
  for (std::size_t i = 0; i < n; ++i) {
    auto t = std::make_unique<routing_table>(ring[i]);
    for (std::size_t k = 1; k <= 3; ++k) {
      t->add(ring[(i + k) % n]);
      t->add(ring[(i + n - k) % n]);
    }
    for (std::size_t f = 0; f < t->fingers().size(); ++f) {
      const uint128 bits = to_uint128(random_id(random));
      t->add(responsible_peer(ring, t->fingers().random_target(f, bits)));
    }
    tables.push_back(std::move(t));
  }
  return tables;
}

}  // namespace

TEST_CASE("a connected peer enters every table it belongs in") {
  routing_table t(id(0));
  CHECK(t.add(id(power_of_two(127))));
  CHECK(t.neighbors().contains(id(power_of_two(127))));
  CHECK(t.fingers().entries()[0] == id(power_of_two(127)));
  CHECK_FALSE(t.add(id(power_of_two(127))));
  CHECK(t.contains(id(power_of_two(127))));
  CHECK_FALSE(t.contains(id(5)));
}

TEST_CASE("distinct peers are counted once across both tables") {
  const auto t = sample_table();
  // Six neighbours and four fingers, all different.
  CHECK(t.unique_peers() == 10);
  routing_table pair(id(0));
  pair.add(id(power_of_two(127)));  // successor, predecessor and finger 1 at once
  CHECK(pair.unique_peers() == 1);
}

TEST_CASE("messages for this peer's range are delivered here") {
  const auto t = sample_table();
  CHECK_FALSE(t.next_hop(id(0)));
  CHECK_FALSE(t.next_hop(id(ring_max)));
  CHECK_FALSE(t.next_hop(id(ring_max - 8)));
  const routing_table alone(id(42));
  CHECK_FALSE(alone.next_hop(id(7)));
}

TEST_CASE("within the neighbourhood the responsible peer is the next hop") {
  const auto t = sample_table();
  CHECK(t.next_hop(id(5)) == id(10));
  CHECK(t.next_hop(id(25)) == id(30));
  CHECK(t.next_hop(id(ring_max + 1 - 25)) == id(ring_max + 1 - 20));
}

TEST_CASE("far keys go to the closest preceding peer (§10.3)") {
  const auto t = sample_table();
  CHECK(t.next_hop(id(quarter + 5)) == id(quarter));
  CHECK(t.next_hop(id(quarter)) == id(quarter));  // directly connected
  CHECK(t.next_hop(id(power_of_two(127) + quarter)) == id(power_of_two(127)));
  CHECK(t.next_hop(id(power_of_two(124) - 1)) == id(30));
}

TEST_CASE("a failed neighbour is replaced from the fingers (§10.7.1)") {
  auto t = sample_table();
  CHECK(t.remove_failed(id(10)));
  CHECK_FALSE(t.contains(id(10)));
  const auto succ = t.neighbors().successors();
  CHECK(std::vector<node_id>(succ.begin(), succ.end()) ==
        std::vector{id(20), id(30), id(power_of_two(124))});
  CHECK_FALSE(t.remove_failed(id(10)));
}

// A partition that cuts a ring of eight in two leaves each node its three
// predecessors and no successor; in a ring of four those three are the
// successors too, and no Update need come to say so.
TEST_CASE("successors lost to failures are refilled from the predecessors") {
  routing_table t(id(0));
  for (unsigned v : {10, 20, 30}) {
    t.add(id(v));
    t.add(id(ring_max + 1 - v));
  }
  for (unsigned v : {10, 20, 30}) t.remove_failed(id(v));
  const std::vector<node_id> expected_successors{id(ring_max + 1 - 30), id(ring_max + 1 - 20),
                                                 id(ring_max + 1 - 10)};
  CHECK(std::vector<node_id>(t.neighbors().successors().begin(),
                             t.neighbors().successors().end()) == expected_successors);
  CHECK(t.neighbors().predecessors().size() == 3);
}

TEST_CASE("a failed finger falls back to the closest preceding peer (§10.7.2)") {
  auto t = sample_table();
  CHECK(t.remove_failed(id(quarter)));
  CHECK(t.fingers().entries()[1] == id(power_of_two(125)));
  CHECK_FALSE(t.fingers().valid(1));
  CHECK(t.fingers().choose_refresh(0b1) == 1u);  // now the first invalid entry
  CHECK(t.next_hop(id(quarter + 5)) == id(power_of_two(125)));
}

TEST_CASE("routing on a static random ring always reaches the responsible peer") {
  std::mt19937_64 random(1000);
  const auto ring = random_ring(random, 1000);
  const auto tables = build_overlay(ring, random);
  const std::size_t limit = 2 * static_cast<std::size_t>(std::log2(ring.size())) + 2;
  std::size_t hops_total = 0;
  const int lookups = 2000;
  for (int i = 0; i < lookups; ++i) {
    const auto key = random_id(random);
    std::size_t at = random() % ring.size();
    std::size_t hops = 0;
    while (auto next = tables[at]->next_hop(key)) {
      REQUIRE(++hops <= limit);  // no loops, no walking the ring
      at = static_cast<std::size_t>(std::lower_bound(ring.begin(), ring.end(), *next) -
                                    ring.begin());
    }
    REQUIRE(ring[at] == responsible_peer(ring, key));
    hops_total += hops;
  }
  // Chord's O(log N): about half of log2 N hops on average.
  CHECK(static_cast<double>(hops_total) / lookups <= 0.5 * std::log2(ring.size()) + 1);
}
