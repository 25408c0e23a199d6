#include <catch2/catch.hpp>

#include "overlay/ring.hpp"
#include "overlay_test_util.hpp"
#include "wire/id_hash.hpp"

using namespace p2psip::overlay;
using p2psip::overlay::test::id;
using p2psip::overlay::test::random_id;
using p2psip::overlay::test::random_ring;
using p2psip::overlay::test::ring_max;

TEST_CASE("Node-IDs map to 128-bit integers most significant byte first") {
  CHECK(to_uint128(*node_id::from_hex("00000000000000000000000000000001")) == 1);
  CHECK(to_uint128(*node_id::from_hex("80000000000000000000000000000000")) ==
        power_of_two(127));
  CHECK(id(0x0102).hex() == "00000000000000000000000000000102");
  CHECK(id(ring_max).hex() == "ffffffffffffffffffffffffffffffff");
}

TEST_CASE("clockwise distance and advance wrap modulo 2^128") {
  CHECK(clockwise_distance(id(ring_max), id(0)) == 1);
  CHECK(clockwise_distance(id(5), id(3)) == ring_max - 1);
  CHECK(clockwise_distance(id(3), id(5)) == 2);
  CHECK(clockwise_distance(id(7), id(7)) == 0);
  CHECK(advance(id(ring_max), 2) == id(1));
  CHECK(advance(id(1), power_of_two(127)) == id(power_of_two(127) + 1));
}

TEST_CASE("between honours each kind of end") {
  const auto a = id(10), b = id(20);
  CHECK_FALSE(between(a, a, b, ends::open));
  CHECK_FALSE(between(b, a, b, ends::open));
  CHECK(between(id(15), a, b, ends::open));
  CHECK(between(b, a, b, ends::right_closed));
  CHECK_FALSE(between(a, a, b, ends::right_closed));
  CHECK(between(a, a, b, ends::left_closed));
  CHECK_FALSE(between(b, a, b, ends::left_closed));
  CHECK(between(a, a, b, ends::closed));
  CHECK(between(b, a, b, ends::closed));
  CHECK_FALSE(between(id(21), a, b, ends::closed));
  CHECK_FALSE(between(id(9), a, b, ends::closed));
}

TEST_CASE("between follows the ring across zero") {
  const auto from = id(ring_max - 9), to = id(5);
  CHECK(between(id(0), from, to, ends::right_closed));
  CHECK(between(id(ring_max), from, to, ends::open));
  CHECK(between(to, from, to, ends::right_closed));
  CHECK_FALSE(between(from, from, to, ends::right_closed));
  CHECK_FALSE(between(id(6), from, to, ends::closed));
  CHECK_FALSE(between(id(ring_max - 10), from, to, ends::closed));
  // The reverse arc is the rest of the ring.
  CHECK(between(id(6), to, from, ends::open));
  CHECK_FALSE(between(id(0), to, from, ends::open));
}

TEST_CASE("an arc whose ends coincide goes all the way round") {
  const auto a = id(42);
  CHECK_FALSE(between(a, a, a, ends::open));
  CHECK(between(id(43), a, a, ends::open));
  CHECK(between(id(41), a, a, ends::open));
  CHECK(between(a, a, a, ends::right_closed));
  CHECK(between(a, a, a, ends::left_closed));
  CHECK(between(id(0), a, a, ends::closed));
}

TEST_CASE("ring arithmetic properties hold for random ids") {
  std::mt19937_64 random(6940);
  for (int i = 0; i < 20000; ++i) {
    const auto a = random_id(random), b = random_id(random), x = random_id(random);
    const uint128 shift = to_uint128(random_id(random));
    INFO("a=" << a.hex() << " b=" << b.hex() << " x=" << x.hex());
    REQUIRE(clockwise_distance(a, b) + clockwise_distance(b, a) == 0);
    REQUIRE(advance(a, clockwise_distance(a, b)) == b);
    REQUIRE(between(x, a, b, ends::right_closed) == (between(x, a, b, ends::open) || x == b));
    REQUIRE(between(x, a, b, ends::left_closed) == (between(x, a, b, ends::open) || x == a));
    // The two arcs between a and b split the rest of the ring.
    REQUIRE(between(x, a, b, ends::open) != between(x, b, a, ends::open));
    // Turning the whole ring changes nothing.
    REQUIRE(between(advance(x, shift), advance(a, shift), advance(b, shift), ends::open) ==
            between(x, a, b, ends::open));
  }
}

TEST_CASE("the responsible peer is the first at or after the key") {
  const std::vector<node_id> peers{id(10), id(20), id(ring_max - 5)};
  CHECK(responsible_peer(peers, id(10)) == id(10));
  CHECK(responsible_peer(peers, id(11)) == id(20));
  CHECK(responsible_peer(peers, id(0)) == id(10));
  CHECK(responsible_peer(peers, id(21)) == id(ring_max - 5));
  CHECK(responsible_peer(peers, id(ring_max)) == id(10));  // wraps past the top
  const std::vector<node_id> alone{id(7)};
  CHECK(responsible_peer(alone, id(3)) == id(7));
  CHECK(responsible_peer(alone, id(8)) == id(7));
}

TEST_CASE("the responsible peer matches a brute-force search on random rings") {
  std::mt19937_64 random(7904);
  const auto peers = random_ring(random, 64);
  for (int i = 0; i < 5000; ++i) {
    const auto key = random_id(random);
    const node_id* nearest = &peers.front();
    for (const auto& p : peers) {
      if (clockwise_distance(key, p) < clockwise_distance(key, *nearest)) nearest = &p;
    }
    REQUIRE(responsible_peer(peers, key) == *nearest);
  }
}

TEST_CASE("a 128-bit Resource-ID is a ring position, any other length is not") {
  const auto key = resource_key(p2psip::wire::hash_resource_name("abc"));
  REQUIRE(key);
  CHECK(key->hex() == "a9993e364706816aba3e25717850c26c");
  const std::vector<std::uint8_t> twenty(20, 0xab);
  CHECK_FALSE(resource_key(*p2psip::wire::resource_id::from_span(twenty)));
  CHECK_FALSE(resource_key(p2psip::wire::resource_id{}));
}
