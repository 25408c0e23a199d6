// Ids for the overlay suites: small integers for hand-worked cases, seeded
// random ones for property tests.
#pragma once

#include <algorithm>
#include <cstddef>
#include <random>
#include <vector>

#include "overlay/ring.hpp"

namespace p2psip::overlay::test {

inline const uint128 ring_max = ~uint128{0};

inline node_id id(uint128 value) { return from_uint128(value); }

// mt19937_64's output is fixed by the standard, so a seed means the same
// ids everywhere.
inline node_id random_id(std::mt19937_64& random) {
  const uint128 high = random();
  return from_uint128((high << 64) | random());
}

inline std::vector<node_id> random_ring(std::mt19937_64& random, std::size_t n) {
  std::vector<node_id> ring;
  while (ring.size() < n) ring.push_back(random_id(random));
  std::sort(ring.begin(), ring.end());
  ring.erase(std::unique(ring.begin(), ring.end()), ring.end());
  return ring;
}

}  // namespace p2psip::overlay::test
