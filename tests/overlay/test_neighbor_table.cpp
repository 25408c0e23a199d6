#include <catch2/catch.hpp>

#include <algorithm>

#include "overlay/neighbor_table.hpp"
#include "overlay_test_util.hpp"

using namespace p2psip::overlay;
using p2psip::overlay::test::id;
using p2psip::overlay::test::random_id;
using p2psip::overlay::test::random_ring;
using p2psip::overlay::test::ring_max;

namespace {

std::vector<node_id> ids(std::initializer_list<unsigned> values) {
  std::vector<node_id> out;
  for (auto v : values) out.push_back(id(v));
  return out;
}

std::vector<node_id> listed(std::span<const node_id> s) { return {s.begin(), s.end()}; }

neighbor_table table_around_100() {
  neighbor_table t(id(100));
  for (unsigned v : {130, 110, 120, 90, 70, 80}) t.insert(id(v));
  return t;
}

}  // namespace

TEST_CASE("insertion keeps both lists in ring order, nearest first") {
  const auto t = table_around_100();
  CHECK(listed(t.successors()) == ids({110, 120, 130}));
  CHECK(listed(t.predecessors()) == ids({90, 80, 70}));
}

TEST_CASE("ring order holds across zero") {
  neighbor_table t(id(ring_max - 4));
  t.insert(id(3));
  t.insert(id(ring_max - 1));
  t.insert(id(ring_max - 20));
  CHECK(listed(t.successors()) == std::vector{id(ring_max - 1), id(3), id(ring_max - 20)});
  CHECK(listed(t.predecessors()) == std::vector{id(ring_max - 20), id(3), id(ring_max - 1)});
}

TEST_CASE("a full list takes a closer peer and refuses a farther one") {
  auto t = table_around_100();
  CHECK(t.would_accept(id(105)));
  CHECK(t.insert(id(105)));
  CHECK(listed(t.successors()) == ids({105, 110, 120}));
  CHECK_FALSE(t.would_accept(id(125)));
  CHECK_FALSE(t.insert(id(125)));
  CHECK_FALSE(t.insert(id(110)));  // already there
  CHECK_FALSE(t.insert(id(100)));  // never itself (§10.7.3)
  CHECK(t.contains(id(105)));
  CHECK_FALSE(t.contains(id(130)));
}

TEST_CASE("in a small ring every peer is both successor and predecessor") {
  neighbor_table t(id(100));
  t.insert(id(200));
  t.insert(id(300));
  CHECK(listed(t.successors()) == ids({200, 300}));
  CHECK(listed(t.predecessors()) == ids({300, 200}));
}

TEST_CASE("removal drops a peer from both lists") {
  auto t = table_around_100();
  CHECK(t.remove(id(110)));
  CHECK(listed(t.successors()) == ids({120, 130}));
  CHECK_FALSE(t.remove(id(110)));
  neighbor_table small(id(100));
  small.insert(id(200));
  CHECK(small.remove(id(200)));
  CHECK(small.empty());
}

TEST_CASE("capacity is configurable, never below three, and trims the farthest") {
  neighbor_table t(id(100), 5, 1);
  CHECK(t.successor_capacity() == 5);
  CHECK(t.predecessor_capacity() == neighbor_table::min_capacity);
  for (unsigned v : {110, 120, 130, 140, 150, 160}) t.insert(id(v));
  CHECK(listed(t.successors()) == ids({110, 120, 130, 140, 150}));
  t.set_capacity(4, 3);
  CHECK(listed(t.successors()) == ids({110, 120, 130, 140}));
  t.set_capacity(0, 0);
  CHECK(t.successors().size() == 3);
}

TEST_CASE("a peer is responsible for (predecessor, self]") {
  const auto t = table_around_100();
  CHECK(t.is_responsible(id(100)));
  CHECK(t.is_responsible(id(91)));
  CHECK_FALSE(t.is_responsible(id(90)));
  CHECK_FALSE(t.is_responsible(id(101)));
  CHECK_FALSE(t.is_responsible(id(ring_max)));
}

TEST_CASE("responsibility across zero") {
  neighbor_table t(id(5));
  t.insert(id(ring_max - 5));
  t.insert(id(50));
  CHECK(t.is_responsible(id(0)));
  CHECK(t.is_responsible(id(ring_max)));
  CHECK_FALSE(t.is_responsible(id(ring_max - 5)));
  CHECK_FALSE(t.is_responsible(id(6)));
}

TEST_CASE("alone a peer owns the ring; with one other it owns half") {
  neighbor_table alone(id(100));
  CHECK(alone.is_responsible(id(0)));
  CHECK(alone.is_responsible(id(ring_max)));
  CHECK(alone.responsible_peer(id(5)) == id(100));

  neighbor_table pair(id(100));
  pair.insert(id(200));
  CHECK(pair.is_responsible(id(201)));
  CHECK(pair.is_responsible(id(100)));
  CHECK_FALSE(pair.is_responsible(id(150)));
  CHECK(pair.responsible_peer(id(150)) == id(200));
}

TEST_CASE("the responsible peer is known across the neighbourhood") {
  const auto t = table_around_100();
  CHECK(t.responsible_peer(id(95)) == id(100));
  CHECK(t.responsible_peer(id(101)) == id(110));
  CHECK(t.responsible_peer(id(115)) == id(120));
  CHECK(t.responsible_peer(id(130)) == id(130));
  CHECK(t.responsible_peer(id(85)) == id(90));
  CHECK(t.responsible_peer(id(71)) == id(80));
  CHECK_FALSE(t.responsible_peer(id(131)));  // beyond the farthest successor
  CHECK_FALSE(t.responsible_peer(id(70)));   // the farthest predecessor's own range
}

TEST_CASE("replicas go to the two nearest successors") {
  const auto t = table_around_100();
  CHECK(listed(t.replica_successors()) == ids({110, 120}));
  neighbor_table pair(id(100));
  pair.insert(id(200));
  CHECK(listed(pair.replica_successors()) == ids({200}));
}

TEST_CASE("a peer holds replicas for keys up to three predecessors back") {
  const auto t = table_around_100();
  CHECK(t.in_replica_set(id(100)));  // responsible
  CHECK(t.in_replica_set(id(85)));   // 90 responsible, we are its first successor
  CHECK(t.in_replica_set(id(71)));   // 80 responsible, we are its second successor
  CHECK_FALSE(t.in_replica_set(id(70)));  // 70 responsible: three predecessors between
  CHECK_FALSE(t.in_replica_set(id(105)));
  neighbor_table few(id(100));
  few.insert(id(90));
  few.insert(id(80));
  CHECK(few.in_replica_set(id(5)));  // too few predecessors known to let data go
}

TEST_CASE("random insertion order yields the true neighbours of a random ring") {
  std::mt19937_64 random(10);
  const auto ring = random_ring(random, 200);
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t me = random() % ring.size();
    neighbor_table t(ring[me]);
    auto others = ring;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(me));
    std::shuffle(others.begin(), others.end(), random);
    for (const auto& p : others) t.insert(p);
    for (std::size_t k = 1; k <= 3; ++k) {
      REQUIRE(t.successors()[k - 1] == ring[(me + k) % ring.size()]);
      REQUIRE(t.predecessors()[k - 1] == ring[(me + ring.size() - k) % ring.size()]);
    }
    for (int i = 0; i < 200; ++i) {
      const auto key = random_id(random);
      const auto known = t.responsible_peer(key);
      if (known) REQUIRE(*known == responsible_peer(ring, key));
      REQUIRE(t.is_responsible(key) == (responsible_peer(ring, key) == ring[me]));
    }
    // The keys of the three peers at and before this one are all known.
    REQUIRE(t.responsible_peer(ring[(me + ring.size() - 2) % ring.size()]));
  }
}
