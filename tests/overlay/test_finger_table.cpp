#include <catch2/catch.hpp>

#include <array>

#include "overlay/finger_table.hpp"
#include "overlay_test_util.hpp"

using namespace p2psip::overlay;
using p2psip::overlay::test::id;
using p2psip::overlay::test::random_id;
using p2psip::overlay::test::ring_max;

namespace {

uint128 random_bits(std::mt19937_64& random) { return to_uint128(random_id(random)); }

// A table with a valid peer in every entry except those listed.
finger_table filled_except(const node_id& self, std::initializer_list<std::size_t> gaps) {
  finger_table t(self);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (std::find(gaps.begin(), gaps.end(), i) == gaps.end()) t.offer(t.range_start(i));
  }
  return t;
}

}  // namespace

TEST_CASE("finger i+1 targets self + 2^(128-(i+1)), as in §10.5") {
  const finger_table t(id(1000));
  CHECK(t.range_start(0) == id(power_of_two(127) + 1000));
  CHECK(t.range_start(1) == id(power_of_two(126) + 1000));
  CHECK(t.range_start(15) == id(power_of_two(112) + 1000));
  const finger_table high(id(ring_max));
  CHECK(high.range_start(0) == id(power_of_two(127) - 1));  // wraps
}

TEST_CASE("each peer falls in the entry whose range holds it") {
  const finger_table t(id(0));
  CHECK(t.index_for(id(power_of_two(127))) == 0u);
  CHECK(t.index_for(id(ring_max)) == 0u);
  CHECK(t.index_for(id(power_of_two(127) - 1)) == 1u);
  CHECK(t.index_for(id(power_of_two(112))) == 15u);
  CHECK_FALSE(t.index_for(id(power_of_two(112) - 1)));  // nearer than the 16th range
  CHECK_FALSE(t.index_for(id(0)));                      // self
  finger_table wide(id(0), 17);
  CHECK(wide.index_for(id(power_of_two(112) - 1)) == 16u);
  const finger_table wrapped(id(power_of_two(127) + power_of_two(126)));
  CHECK(wrapped.index_for(id(power_of_two(126))) == 0u);
}

TEST_CASE("ranges match §10.7.4.2's [x+2^(128-i), x+2^(128-(i-1))-1] for random peers") {
  std::mt19937_64 random(1274);
  for (int trial = 0; trial < 2000; ++trial) {
    const finger_table t(random_id(random), finger_table::max_size);
    const std::size_t i = random() % finger_table::max_size;
    const auto target = t.random_target(i, random_bits(random));
    const unsigned rfc_i = static_cast<unsigned>(i + 1);
    const uint128 low = power_of_two(128 - rfc_i);
    const uint128 high_inclusive = rfc_i == 1 ? ring_max : power_of_two(129 - rfc_i) - 1;
    const uint128 d = clockwise_distance(t.self(), target);
    REQUIRE(d >= low);
    REQUIRE(d <= high_inclusive);
    REQUIRE(t.index_for(target) == i);
  }
}

TEST_CASE("random refresh targets span the whole range") {
  const finger_table t(id(500));
  CHECK(t.random_target(3, 0) == t.range_start(3));
  CHECK(t.random_target(3, ring_max) == advance(t.range_start(2), ring_max));  // last point
  CHECK(t.random_target(0, ring_max) == id(499));
}

TEST_CASE("offer fills empty or invalid entries and keeps valid ones") {
  finger_table t(id(0));
  const auto first = id(power_of_two(127) + 5);
  const auto second = id(power_of_two(127) + 9);
  CHECK(t.offer(first));
  CHECK(t.entries()[0] == first);
  CHECK(t.valid(0));
  CHECK_FALSE(t.offer(second));  // CHORD-RELOAD does not hunt for the optimal finger
  CHECK(t.entries()[0] == first);
  CHECK_FALSE(t.offer(id(3)));  // too near for any entry
  CHECK_FALSE(t.offer(id(0)));

  const auto out_of_range = id(power_of_two(125));
  CHECK(t.replace(first, out_of_range));
  CHECK_FALSE(t.valid(0));
  CHECK(t.offer(second));
  CHECK(t.entries()[0] == second);
}

TEST_CASE("replace rewrites or clears every reference to a failed peer") {
  finger_table t(id(0));
  const auto a = id(power_of_two(127));
  const auto b = id(power_of_two(126));
  t.offer(a);
  t.offer(b);
  CHECK(t.replace(b, std::nullopt));
  CHECK_FALSE(t.entries()[1]);
  CHECK(t.replace(a, b));
  CHECK(t.entries()[0] == b);
  CHECK_FALSE(t.valid(0));
  CHECK_FALSE(t.replace(id(77), a));
}

TEST_CASE("the table holds 16 to 128 fingers") {
  finger_table t(id(0), 3);
  CHECK(t.size() == finger_table::min_size);
  t.resize(40);
  CHECK(t.size() == 40);
  t.resize(1000);
  CHECK(t.size() == finger_table::max_size);
  t.offer(id(power_of_two(127)));
  t.resize(16);
  CHECK(t.entries()[0]);
}

TEST_CASE("refresh choice walks invalid entries from the first, one coin each") {
  finger_table empty(id(0));
  CHECK(empty.choose_refresh(0b1) == 0u);
  CHECK(empty.choose_refresh(0b100) == 2u);
  CHECK(empty.choose_refresh(0) == 0u);

  const auto t = filled_except(id(0), {3, 7});
  CHECK(t.choose_refresh(0b1) == 3u);
  CHECK(t.choose_refresh(0b10) == 7u);
  CHECK(t.choose_refresh(0b100) == 3u);  // cycles round until a coin lands
  CHECK(t.choose_refresh(0b1000) == 7u);
  CHECK_FALSE(filled_except(id(0), {}).choose_refresh(0b1));
}

TEST_CASE("refresh choice is exponentially weighted toward earlier entries") {
  const finger_table t(id(0));
  std::mt19937_64 random(3600);
  std::array<int, finger_table::min_size> picks{};
  for (int i = 0; i < 8192; ++i) ++picks[*t.choose_refresh(random())];
  CHECK(picks[0] > 3500);  // about half
  CHECK(picks[1] > 1500);  // about a quarter
  CHECK(picks[0] > picks[1]);
  CHECK(picks[1] > picks[2]);
  CHECK(picks[2] > picks[3]);
}

TEST_CASE("finger refresh skips entries the successor list already settles") {
  // Peer 0 with no fingers: entry 15 starts at 2^112, entry 14 at 2^113.
  finger_table t(id(0));
  const uint128 reach = power_of_two(113);  // the farthest successor sits at 2^113
  for (std::uint64_t coins : {0b1ull, 0b10ull, 0b100ull, ~0ull}) {
    const auto picked = t.choose_refresh(coins, reach);
    REQUIRE(picked);
    CHECK(*picked < 14u);
  }
  CHECK(t.choose_refresh(0b1, ~uint128{0}) == std::nullopt);  // everything settled
}
