#include "overlay/ring.hpp"

#include <algorithm>
#include <cassert>

namespace p2psip::overlay {

node_id from_uint128(uint128 value) noexcept {
  node_id::bytes_type b{};
  for (std::size_t i = b.size(); i-- > 0;) {
    b[i] = static_cast<std::uint8_t>(value);
    value >>= 8;
  }
  return node_id(b);
}

uint128 clockwise_distance(const node_id& from, const node_id& to) noexcept {
  return to_uint128(to) - to_uint128(from);  // unsigned wraparound is the modulo
}

node_id advance(const node_id& id, uint128 offset) noexcept {
  return from_uint128(to_uint128(id) + offset);
}

uint128 power_of_two(unsigned exponent) noexcept {
  assert(exponent < ring_bits);
  return uint128{1} << exponent;
}

bool between(const node_id& x, const node_id& from, const node_id& to, ends e) noexcept {
  const uint128 offset = clockwise_distance(from, x);
  const uint128 span = clockwise_distance(from, to);
  const bool includes_from = e == ends::left_closed || e == ends::closed;
  const bool includes_to = e == ends::right_closed || e == ends::closed;
  if (span == 0) return includes_from || includes_to || offset != 0;
  if (offset == 0) return includes_from;
  if (offset == span) return includes_to;
  return offset < span;
}

const node_id& responsible_peer(std::span<const node_id> sorted_peers,
                                const node_id& key) noexcept {
  assert(!sorted_peers.empty());
  auto it = std::lower_bound(sorted_peers.begin(), sorted_peers.end(), key);
  return it == sorted_peers.end() ? sorted_peers.front() : *it;  // wrap past 2^128-1
}

std::optional<node_id> resource_key(const wire::resource_id& id) noexcept {
  return node_id::from_span(id.bytes());
}

}  // namespace p2psip::overlay
