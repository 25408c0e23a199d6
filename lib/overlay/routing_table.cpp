#include "overlay/routing_table.hpp"

#include <algorithm>
#include <vector>

namespace p2psip::overlay {

routing_table::routing_table(const node_id& self) : neighbors_(self), fingers_(self) {}

bool routing_table::add(const node_id& peer) {
  const bool neighbour = neighbors_.insert(peer);
  const bool finger = fingers_.offer(peer);
  return neighbour || finger;
}

bool routing_table::remove_failed(const node_id& peer) {
  bool changed = neighbors_.remove(peer);
  // closest_preceding() searches the open arc (self, peer), which leaves the
  // failed peer itself out.
  changed = fingers_.replace(peer, closest_preceding(peer)) || changed;
  // Every peer still known is offered to both lists again: in a small ring
  // the predecessors are also the successors once failures empty that list,
  // and no Update may come to say so (a partition cuts off half the ring).
  for (const auto& p : peers()) changed = neighbors_.insert(p) || changed;
  return changed;
}

bool routing_table::contains(const node_id& peer) const noexcept {
  bool found = false;
  for_each_peer([&](const node_id& p) { found = found || p == peer; });
  return found;
}

std::vector<node_id> routing_table::peers() const {
  std::vector<node_id> peers;
  peers.reserve(neighbors_.successors().size() + neighbors_.predecessors().size() +
                fingers_.size());
  for_each_peer([&](const node_id& p) { peers.push_back(p); });
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  return peers;
}

std::optional<node_id> routing_table::closest_preceding(
    const node_id& key, const std::function<bool(const node_id&)>& usable) const {
  const node_id& me = self();
  std::optional<node_id> best;
  for_each_peer([&](const node_id& p) {
    if (between(p, me, key, ends::open) && (!usable || usable(p)) &&
        (!best || clockwise_distance(p, key) < clockwise_distance(*best, key))) {
      best = p;
    }
  });
  return best;
}

std::optional<node_id> routing_table::next_hop(const node_id& key) const {
  if (auto owner = neighbors_.responsible_peer(key)) {
    if (*owner == self()) return std::nullopt;
    return owner;
  }
  // §10.3's rule for a directly connected destination.
  if (contains(key)) return key;
  // Outside the neighbourhood the first successor lies before the key, so a
  // preceding peer always exists and §10.3's fallback to the first peer
  // after the key cannot arise.
  return closest_preceding(key);
}

std::optional<node_id> routing_table::next_hop(
    const node_id& key, const std::function<bool(const node_id&)>& usable) const {
  if (auto owner = neighbors_.responsible_peer(key); owner && *owner != self() && usable(*owner)) {
    return owner;
  }
  if (contains(key) && usable(key)) return key;
  return closest_preceding(key, usable);
}

}  // namespace p2psip::overlay
