#include "overlay/neighbor_table.hpp"

#include <algorithm>

namespace p2psip::overlay {

namespace {

// Successors are ordered by clockwise distance from self, predecessors by
// anticlockwise distance; `clockwise` selects which.
uint128 distance_from_self(const node_id& self, const node_id& peer, bool clockwise) noexcept {
  return clockwise ? clockwise_distance(self, peer) : clockwise_distance(peer, self);
}

bool fits(const std::vector<node_id>& list, std::size_t capacity, const node_id& self,
          const node_id& peer, bool clockwise) noexcept {
  if (peer == self || std::find(list.begin(), list.end(), peer) != list.end()) return false;
  return list.size() < capacity || distance_from_self(self, peer, clockwise) <
                                       distance_from_self(self, list.back(), clockwise);
}

bool insert_ordered(std::vector<node_id>& list, std::size_t capacity, const node_id& self,
                    const node_id& peer, bool clockwise) {
  if (!fits(list, capacity, self, peer, clockwise)) return false;
  const uint128 d = distance_from_self(self, peer, clockwise);
  auto at = std::find_if(list.begin(), list.end(), [&](const node_id& entry) {
    return d < distance_from_self(self, entry, clockwise);
  });
  list.insert(at, peer);
  if (list.size() > capacity) list.pop_back();
  return true;
}

bool erase(std::vector<node_id>& list, const node_id& peer) noexcept {
  auto it = std::find(list.begin(), list.end(), peer);
  if (it == list.end()) return false;
  list.erase(it);
  return true;
}

}  // namespace

neighbor_table::neighbor_table(const node_id& self, std::size_t successor_capacity,
                               std::size_t predecessor_capacity)
    : self_(self),
      successor_capacity_(std::max(successor_capacity, min_capacity)),
      predecessor_capacity_(std::max(predecessor_capacity, min_capacity)) {}

bool neighbor_table::contains(const node_id& peer) const noexcept {
  return std::find(successors_.begin(), successors_.end(), peer) != successors_.end() ||
         std::find(predecessors_.begin(), predecessors_.end(), peer) != predecessors_.end();
}

bool neighbor_table::would_accept(const node_id& peer) const noexcept {
  return fits(successors_, successor_capacity_, self_, peer, true) ||
         fits(predecessors_, predecessor_capacity_, self_, peer, false);
}

bool neighbor_table::insert(const node_id& peer) {
  const bool as_successor = insert_ordered(successors_, successor_capacity_, self_, peer, true);
  const bool as_predecessor =
      insert_ordered(predecessors_, predecessor_capacity_, self_, peer, false);
  return as_successor || as_predecessor;
}

bool neighbor_table::remove(const node_id& peer) noexcept {
  const bool was_successor = erase(successors_, peer);
  const bool was_predecessor = erase(predecessors_, peer);
  return was_successor || was_predecessor;
}

void neighbor_table::set_capacity(std::size_t successors, std::size_t predecessors) {
  successor_capacity_ = std::max(successors, min_capacity);
  predecessor_capacity_ = std::max(predecessors, min_capacity);
  if (successors_.size() > successor_capacity_) successors_.resize(successor_capacity_);
  if (predecessors_.size() > predecessor_capacity_) predecessors_.resize(predecessor_capacity_);
}

bool neighbor_table::is_responsible(const node_id& key) const noexcept {
  if (predecessors_.empty()) return true;  // alone: insert() fills both lists or neither
  return between(key, predecessors_.front(), self_, ends::right_closed);
}

std::optional<node_id> neighbor_table::responsible_peer(const node_id& key) const noexcept {
  if (is_responsible(key)) return self_;
  // Each known peer owns the arc back to the peer before it; nearest arcs
  // first, so a small ring seen twice over resolves to the closer view.
  const node_id* previous = &self_;
  for (const auto& s : successors_) {
    if (between(key, *previous, s, ends::right_closed)) return s;
    previous = &s;
  }
  for (std::size_t i = 0; i + 1 < predecessors_.size(); ++i) {
    if (between(key, predecessors_[i + 1], predecessors_[i], ends::right_closed)) {
      return predecessors_[i];
    }
  }
  return std::nullopt;
}

std::span<const node_id> neighbor_table::replica_successors() const noexcept {
  return std::span<const node_id>(successors_)
      .first(std::min(successors_.size(), replica_count - 1));
}

bool neighbor_table::in_replica_set(const node_id& key) const noexcept {
  if (predecessors_.size() < replica_count) return true;
  return between(key, predecessors_[replica_count - 1], self_, ends::right_closed);
}

}  // namespace p2psip::overlay
