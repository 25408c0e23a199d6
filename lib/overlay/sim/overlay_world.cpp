#include "overlay/sim/overlay_world.hpp"

#include <algorithm>

namespace p2psip::overlay::sim {

overlay_world::overlay_world(world_config config)
    : config_(config), network_(scheduler_, config.network), random_(config.seed) {}

overlay_world::~overlay_world() {
  for (auto& [id, m] : members_) destroy(*m);
}

void overlay_world::destroy(member& m) {
  if (!m.node) return;
  if (on_node_destroyed) on_node_destroyed(*m.node);
  m.node.reset();
  m.security.reset();
}

overlay_node& overlay_world::create_node(std::optional<node_id> id) {
  node_id self;
  do {
    self = id ? *id : from_uint128((uint128{random_()} << 64) | random_());
  } while (!id && members_.contains(self));
  auto m = std::make_unique<member>();
  auto& transport = network_.add_node(self, *m);
  m->security = std::make_unique<unsigned_message_security>(self);
  m->node = std::make_unique<overlay_node>(
      self, config_.overlay, scheduler_, transport, *m->security,
      [](overlay_node& n) { return std::make_unique<chord_topology>(n); }, random_());
  // Simulated wall time: the scheduler's clock from a fixed 2026 epoch.
  m->node->set_wall_clock([this] {
    return 1'790'000'000'000ull +
           static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          scheduler_.now().time_since_epoch())
                                          .count());
  });
  overlay_node& node = *m->node;
  members_.emplace(self, std::move(m));
  created_.push_back(self);
  if (on_node_created) on_node_created(node);
  return node;
}

node_id overlay_world::add_node(std::optional<node_id> id) {
  overlay_node& node = create_node(id);
  const auto via = random_joined();
  if (!via) {
    node.start_new_overlay();
    return node.self();
  }
  join_through(node.self(), *via);
  return node.self();
}

node_id overlay_world::add_node_alone(std::optional<node_id> id) {
  overlay_node& node = create_node(id);
  node.start_new_overlay();
  return node.self();
}

node_id overlay_world::add_node_joining(const node_id& bootstrap, std::optional<node_id> id) {
  const node_id self = create_node(id).self();
  join_through(self, bootstrap);
  return self;
}

void overlay_world::join_through(const node_id& self, const node_id& bootstrap) {
  network_.connect(self, bootstrap);
  // The link comes up one latency later; join once it is there.
  scheduler_.schedule(config_.network.default_link.latency * 2, [this, self, bootstrap] {
    if (auto* n = this->node(self); n && n->connected(bootstrap)) n->join(bootstrap);
  });
}

void overlay_world::crash(const node_id& id) {
  auto it = members_.find(id);
  if (it == members_.end() || !it->second->node) return;
  network_.crash(id);
  destroy(*it->second);
}

void overlay_world::leave(const node_id& id, std::function<void(bool handed_over)> done) {
  auto* n = node(id);
  if (!n) return;
  n->leave([this, id, done = std::move(done)](bool handed_over) {
    // Destroying from inside the node's own callback is not safe: defer.
    scheduler_.schedule(duration::zero(), [this, id, done, handed_over] {
      crash(id);
      if (done) done(handed_over);
    });
  });
}

overlay_node* overlay_world::node(const node_id& id) {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : it->second->node.get();
}

chord_topology* overlay_world::chord(const node_id& id) {
  auto* n = node(id);
  return n ? dynamic_cast<chord_topology*>(&n->topology()) : nullptr;
}

std::optional<node_id> overlay_world::random_joined() {
  // Sampling finds one in a few tries while most members are joined; the
  // full list settles the rare case where few are.
  constexpr int samples = 64;
  for (int i = 0; i < samples && !created_.empty(); ++i) {
    const auto& id = created_[random_() % created_.size()];
    const auto& m = *members_.at(id);
    if (m.node && m.node->state() == node_state::joined) return id;
  }
  const auto ring = joined_ids();
  if (ring.empty()) return std::nullopt;
  return ring[random_() % ring.size()];
}

std::vector<node_id> overlay_world::joined_ids() const {
  std::vector<node_id> ids;
  for (const auto& [id, m] : members_) {
    if (m->node && m->node->state() == node_state::joined) ids.push_back(id);
  }
  return ids;  // std::map keeps them ascending
}

std::size_t overlay_world::live_count() const {
  return static_cast<std::size_t>(std::count_if(
      members_.begin(), members_.end(), [](const auto& e) { return e.second->node != nullptr; }));
}

bool overlay_world::ring_consistent(std::size_t* mismatches) const {
  const auto ring = joined_ids();
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < ring.size() && ring.size() > 1; ++i) {
    const auto& view = dynamic_cast<const chord_topology&>(members_.at(ring[i])->node->topology());
    const auto& n = view.table().neighbors();
    const auto& succ = ring[(i + 1) % ring.size()];
    const auto& pred = ring[(i + ring.size() - 1) % ring.size()];
    if (n.successors().empty() || n.successors().front() != succ || n.predecessors().empty() ||
        n.predecessors().front() != pred) {
      ++wrong;
    }
  }
  if (mismatches) *mismatches = wrong;
  return wrong == 0;
}

double overlay_world::finger_accuracy() const {
  const auto ring = joined_ids();
  std::size_t expected = 0;
  std::size_t held = 0;
  for (const auto& id : ring) {
    const auto& chord = dynamic_cast<const chord_topology&>(members_.at(id)->node->topology());
    const auto& fingers = chord.table().fingers();
    for (std::size_t i = 0; i < fingers.size(); ++i) {
      // Does any live peer lie in entry i's range [start, start + width)?
      const auto start = fingers.range_start(i);
      const auto& first = responsible_peer(ring, start);
      if (fingers.index_for(first) != std::optional<std::size_t>(i)) continue;
      ++expected;
      const auto& entry = fingers.entries()[i];
      if (entry && fingers.valid(i) && members_.contains(*entry) && members_.at(*entry)->node)
        ++held;
    }
  }
  return expected == 0 ? 1.0 : static_cast<double>(held) / static_cast<double>(expected);
}

}  // namespace p2psip::overlay::sim
