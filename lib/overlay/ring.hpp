// CHORD ring arithmetic (RFC 6940 §10.1): 128-bit identifiers, all math
// modulo 2^128. Node-IDs and CHORD Resource-IDs share the one identifier
// space (§10.2), so positions on the ring are node_id values throughout.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "wire/ids.hpp"

namespace p2psip::overlay {

using wire::node_id;

// Distances and offsets on the ring. GCC and Clang provide the type; the
// marker keeps -Wpedantic builds quiet.
__extension__ typedef unsigned __int128 uint128;

inline constexpr unsigned ring_bits = 128;

// Inline and a word at a time: every routing and table decision converts.
inline uint128 to_uint128(const node_id& id) noexcept {
  std::uint64_t high;
  std::uint64_t low;
  std::memcpy(&high, id.bytes().data(), sizeof high);
  std::memcpy(&low, id.bytes().data() + sizeof high, sizeof low);
  if constexpr (std::endian::native == std::endian::little) {
    high = __builtin_bswap64(high);
    low = __builtin_bswap64(low);
  }
  return (uint128{high} << 64) | low;
}
node_id from_uint128(uint128 value) noexcept;

// How far `to` lies clockwise from `from`: (to - from) mod 2^128.
uint128 clockwise_distance(const node_id& from, const node_id& to) noexcept;
// (id + offset) mod 2^128.
node_id advance(const node_id& id, uint128 offset) noexcept;
// 2^exponent; exponent must be below 128.
uint128 power_of_two(unsigned exponent) noexcept;

// Which ends of an arc belong to it.
enum class ends { open, left_closed, right_closed, closed };

// Whether x lies on the clockwise arc from `from` to `to`. An arc whose ends
// coincide goes all the way round, as a lone peer's range does (§10.1):
// (a, a) is every point but a, and the other three forms are the whole ring.
bool between(const node_id& x, const node_id& from, const node_id& to, ends e) noexcept;

// The peer responsible for `key`: the first peer at or clockwise after it
// (§10.1, §10.3). `sorted_peers` is non-empty and in ascending order; the
// simulator uses this as its global oracle.
const node_id& responsible_peer(std::span<const node_id> sorted_peers, const node_id& key) noexcept;

// A CHORD Resource-ID as a ring position; nullopt unless it has the 128 bits
// §10.2 requires.
std::optional<node_id> resource_key(const wire::resource_id& id) noexcept;

}  // namespace p2psip::overlay
