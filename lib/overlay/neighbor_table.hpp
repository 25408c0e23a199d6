// The CHORD Neighbor Table (RFC 6940 §10.4, §10.7): the nearest successors
// and predecessors of this peer, nearest first, from which responsibility and
// the replica set follow.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "overlay/ring.hpp"

namespace p2psip::overlay {

class neighbor_table {
 public:
  // §10.7: a peer keeps at least three predecessors and three successors.
  static constexpr std::size_t min_capacity = 3;
  // The responsible peer and its two successors hold each resource (§10.4).
  static constexpr std::size_t replica_count = 3;

  explicit neighbor_table(const node_id& self, std::size_t successor_capacity = min_capacity,
                          std::size_t predecessor_capacity = min_capacity);

  const node_id& self() const noexcept { return self_; }
  // Nearest first: successors clockwise from self, predecessors anticlockwise.
  std::span<const node_id> successors() const noexcept { return successors_; }
  std::span<const node_id> predecessors() const noexcept { return predecessors_; }
  bool empty() const noexcept { return successors_.empty() && predecessors_.empty(); }
  bool contains(const node_id& peer) const noexcept;

  // Whether insert() would place `peer` in either list. §10.7.3 asks for an
  // Attach to a better neighbour before adopting it, so the protocol asks
  // this first.
  bool would_accept(const node_id& peer) const noexcept;
  // Places `peer` in each list it belongs to (both in a small ring), pushing
  // out the farthest entry of a full list. Returns whether anything changed.
  bool insert(const node_id& peer);
  // Drops a failed or departed peer from both lists (§10.7.1).
  bool remove(const node_id& peer) noexcept;
  // Self-tuning resizes the lists (RFC 7363 §6.2); never below min_capacity.
  void set_capacity(std::size_t successors, std::size_t predecessors);
  std::size_t successor_capacity() const noexcept { return successor_capacity_; }
  std::size_t predecessor_capacity() const noexcept { return predecessor_capacity_; }

  // Whether this peer is responsible for `key`: key in (predecessor, self]
  // (§10.1). A peer alone on the ring owns all of it.
  bool is_responsible(const node_id& key) const noexcept;
  // The peer responsible for `key` when it falls within the stretch of ring
  // this table covers, from the farthest predecessor to the farthest
  // successor; nullopt outside it.
  std::optional<node_id> responsible_peer(const node_id& key) const noexcept;
  // The successors that receive replicas of what this peer is responsible
  // for (§10.4): up to replica_count - 1 of them.
  std::span<const node_id> replica_successors() const noexcept;
  // Whether this peer belongs to the replica set of `key`: it or one of its
  // two nearest predecessors is responsible (§10.7.3). True while fewer
  // predecessors are known, since data is then kept rather than dropped.
  bool in_replica_set(const node_id& key) const noexcept;

 private:
  node_id self_;
  std::vector<node_id> successors_;
  std::vector<node_id> predecessors_;
  std::size_t successor_capacity_;
  std::size_t predecessor_capacity_;
};

}  // namespace p2psip::overlay
