// The CHORD Finger Table (RFC 6940 §10.7.4.2, §10.7.4.3). Entry index i
// (0-based) is the RFC's finger i+1: its valid range is
// [self + 2^(127-i), self + 2^(128-i)), so entry 0 covers the half of the
// ring opposite this peer and each further entry half the previous distance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "overlay/ring.hpp"

namespace p2psip::overlay {

class finger_table {
 public:
  // §10.7.4.3: grow to at least 16 entries, be able to hold 128.
  static constexpr std::size_t min_size = 16;
  static constexpr std::size_t max_size = ring_bits;

  explicit finger_table(const node_id& self, std::size_t size = min_size);

  const node_id& self() const noexcept { return self_; }
  std::size_t size() const noexcept { return entries_.size(); }
  // Clamped to [min_size, max_size]; shrinking drops the nearest entries.
  void resize(std::size_t size);

  std::span<const std::optional<node_id>> entries() const noexcept { return entries_; }
  // First point of entry `index`'s range: self + 2^(127-index), the target
  // §10.5 has a joining peer Attach to.
  node_id range_start(std::size_t index) const noexcept;
  // The entry whose range holds `peer`; nullopt for self and for peers nearer
  // than the last entry's range.
  std::optional<std::size_t> index_for(const node_id& peer) const noexcept;
  // An entry is valid when it holds a peer inside its own range (§10.7.4.2).
  bool valid(std::size_t index) const noexcept;

  // Fills the entry whose range holds `peer` unless that entry is already
  // valid: CHORD-RELOAD keeps any valid finger rather than seeking the best.
  bool offer(const node_id& peer);
  // Points every entry holding `failed` at `replacement` (§10.7.2: the
  // closest preceding peer the routing table knows) or empties it.
  bool replace(const node_id& failed, const std::optional<node_id>& replacement) noexcept;

  // Alternative 1 of §10.7.4.2: walk the invalid entries from the first,
  // taking each with probability 1/2, one bit of `coin_flips` per step, and
  // cycling until one is taken; nullopt when every entry is valid. Entries
  // starting within `settled_reach` of this peer are skipped: the successor
  // list already shows every peer there (§10.7.4.3).
  std::optional<std::size_t> choose_refresh(std::uint64_t coin_flips,
                                            uint128 settled_reach = 0) const noexcept;
  // A uniformly random point of entry `index`'s range, for the refresh Ping
  // §10.7.4.2 sends; `random_bits` are uniform.
  node_id random_target(std::size_t index, uint128 random_bits) const noexcept;

 private:
  node_id self_;
  std::vector<std::optional<node_id>> entries_;
};

}  // namespace p2psip::overlay
