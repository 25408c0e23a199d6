#include "overlay/finger_table.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>

namespace p2psip::overlay {

namespace {

unsigned leading_zeros(uint128 v) noexcept {
  const auto high = static_cast<std::uint64_t>(v >> 64);
  if (high != 0) return static_cast<unsigned>(std::countl_zero(high));
  return 64 + static_cast<unsigned>(std::countl_zero(static_cast<std::uint64_t>(v)));
}

// log2 of the width of entry `index`'s range.
unsigned range_exponent(std::size_t index) noexcept {
  assert(index < finger_table::max_size);
  return static_cast<unsigned>(ring_bits - 1 - index);
}

}  // namespace

finger_table::finger_table(const node_id& self, std::size_t size)
    : self_(self), entries_(std::clamp(size, min_size, max_size)) {}

void finger_table::resize(std::size_t size) {
  entries_.resize(std::clamp(size, min_size, max_size));
}

node_id finger_table::range_start(std::size_t index) const noexcept {
  return advance(self_, power_of_two(range_exponent(index)));
}

std::optional<std::size_t> finger_table::index_for(const node_id& peer) const noexcept {
  // A distance in [2^(127-i), 2^(128-i)) has exactly i leading zero bits.
  const std::size_t index = leading_zeros(clockwise_distance(self_, peer));
  if (index >= entries_.size()) return std::nullopt;  // also self, distance 0
  return index;
}

bool finger_table::valid(std::size_t index) const noexcept {
  const auto& entry = entries_[index];
  return entry && index_for(*entry) == index;
}

bool finger_table::offer(const node_id& peer) {
  const auto index = index_for(peer);
  if (!index || valid(*index)) return false;
  entries_[*index] = peer;
  return true;
}

bool finger_table::replace(const node_id& failed,
                           const std::optional<node_id>& replacement) noexcept {
  bool changed = false;
  for (auto& entry : entries_) {
    if (entry == failed) {
      entry = replacement;
      changed = true;
    }
  }
  return changed;
}

std::optional<std::size_t> finger_table::choose_refresh(std::uint64_t coin_flips,
                                                        uint128 settled_reach) const noexcept {
  std::array<std::uint8_t, max_size> invalid{};
  std::size_t count = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!valid(i) && clockwise_distance(self_, range_start(i)) > settled_reach) {
      invalid[count++] = static_cast<std::uint8_t>(i);
    }
  }
  if (count == 0) return std::nullopt;
  for (unsigned flip = 0; flip < 64; ++flip) {
    if ((coin_flips >> flip) & 1) return invalid[flip % count];
  }
  return invalid[0];  // 64 tails in a row: fall back to the most weighted entry
}

node_id finger_table::random_target(std::size_t index, uint128 random_bits) const noexcept {
  const uint128 width = power_of_two(range_exponent(index));
  return advance(range_start(index), random_bits & (width - 1));
}

}  // namespace p2psip::overlay
