// The CHORD Routing Table: the union of the Neighbor Table and the Finger
// Table (RFC 6940 §10.3), with next-hop selection and failure handling.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "overlay/finger_table.hpp"
#include "overlay/neighbor_table.hpp"
#include "overlay/ring.hpp"

namespace p2psip::overlay {

class routing_table {
 public:
  explicit routing_table(const node_id& self);

  const node_id& self() const noexcept { return neighbors_.self(); }
  neighbor_table& neighbors() noexcept { return neighbors_; }
  const neighbor_table& neighbors() const noexcept { return neighbors_; }
  finger_table& fingers() noexcept { return fingers_; }
  const finger_table& fingers() const noexcept { return fingers_; }

  // Enters a peer this node now has a connection to into every table it
  // belongs in. Returns whether anything changed.
  bool add(const node_id& peer);
  // Forgets a failed peer: neighbours are refilled from the fingers
  // (§10.7.1), and finger entries fall back to the closest preceding peer
  // (§10.7.2). Returns whether anything changed.
  bool remove_failed(const node_id& peer);
  bool contains(const node_id& peer) const noexcept;
  // Distinct peers across both tables: RFC 7363's M.
  std::size_t unique_peers() const { return peers().size(); }
  // Every peer in the tables once, ascending.
  std::vector<node_id> peers() const;

  // Where a message for `key` goes next (§10.3); nullopt when this peer is
  // responsible and delivers it. Within the neighbourhood the responsible
  // peer is known and is chosen directly, one hop sooner than going through
  // its predecessor. Otherwise: the key's own peer if known, else the known
  // peer closest before the key.
  std::optional<node_id> next_hop(const node_id& key) const;
  // The same choice among the peers `usable` accepts: retransmissions route
  // around the links earlier copies took. nullopt when none qualifies.
  std::optional<node_id> next_hop(const node_id& key,
                                  const std::function<bool(const node_id&)>& usable) const;

 private:
  // The known peer on (self, key) nearest to key.
  std::optional<node_id> closest_preceding(
      const node_id& key, const std::function<bool(const node_id&)>& usable = {}) const;

  template <class Visit>
  void for_each_peer(Visit&& visit) const {
    for (const auto& p : neighbors_.successors()) visit(p);
    for (const auto& p : neighbors_.predecessors()) visit(p);
    for (const auto& f : fingers_.entries()) {
      if (f) visit(*f);
    }
  }

  neighbor_table neighbors_;
  finger_table fingers_;
};

}  // namespace p2psip::overlay
