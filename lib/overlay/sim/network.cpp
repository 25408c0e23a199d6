#include "overlay/sim/network.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace p2psip::overlay::sim {

namespace {

// Uniform in [0, 1) from the top 53 bits: the same on every standard library,
// unlike std::uniform_real_distribution.
double uniform_unit(std::mt19937_64& random) { return static_cast<double>(random() >> 11) * 0x1p-53; }

}  // namespace

wire::attach_req_ans network::node::local_attach() const {
  wire::attach_req_ans attach;
  wire::ice_candidate host;
  host.addr_port.value = wire::ipv4_addr_port{0x0a000000u | (index & 0xffffffu), 6084};
  host.foundation = {'1'};
  host.priority = 1;
  attach.candidates.push_back(std::move(host));
  return attach;
}

void network::node::after_gathering(std::function<void()> then) {
  if (net.config_.gathering_delay == duration::zero()) {
    then();
  } else {
    net.scheduler_.schedule(net.config_.gathering_delay, std::move(then));
  }
}

void network::node::offer_attach(
    std::function<void(attach_offer_id, wire::attach_req_ans)> ready) {
  const attach_offer_id offer{++last_offer};
  offers.push_back(offer);
  ++net.stats_.offers_outstanding;
  ++net.stats_.offers;
  after_gathering([this, offer, ready = std::move(ready)] { ready(offer, local_attach()); });
}

void network::node::answer_attach(const node_id&, const wire::attach_req_ans&,
                                  std::function<void(wire::attach_req_ans)> ready) {
  ++net.stats_.answers;
  after_gathering([this, ready = std::move(ready)] { ready(local_attach()); });
}

void network::node::open_link(attach_offer_id offer, const node_id& peer,
                              const wire::attach_req_ans&) {
  withdraw_offer(offer);
  net.connect(id, peer);
}

void network::node::withdraw_offer(attach_offer_id offer) {
  if (std::erase(offers, offer) != 0) --net.stats_.offers_outstanding;
}

network::network(event_scheduler& scheduler, network_config config)
    : scheduler_(scheduler), config_(config), random_(config.seed) {}

message_transport& network::add_node(const node_id& id, transport_events& events) {
  const auto index = static_cast<std::uint32_t>(nodes_.size());
  if (!index_of_.emplace(id, index).second) {
    throw std::invalid_argument("sim::network: Node-ID already joined: " + id.hex());
  }
  return nodes_.emplace_back(*this, index, id, events);
}

network::node* network::find(const node_id& id) {
  auto it = index_of_.find(id);
  return it == index_of_.end() ? nullptr : &nodes_[it->second];
}

const network::node* network::find(const node_id& id) const {
  auto it = index_of_.find(id);
  return it == index_of_.end() ? nullptr : &nodes_[it->second];
}

network::link* network::find_link(std::uint32_t at, std::uint32_t peer) {
  return const_cast<link*>(std::as_const(*this).find_link(at, peer));
}

const network::link* network::find_link(std::uint32_t at, std::uint32_t peer) const {
  const node& n = nodes_[at];
  const auto it = std::find(n.link_peers.begin(), n.link_peers.end(), peer);
  return it == n.link_peers.end() ? nullptr : &n.links[it - n.link_peers.begin()];
}

void network::add_link(node& at, const link& l) {
  at.links.push_back(l);
  at.link_peers.push_back(l.peer);
}

void network::remove_link(node& at, std::uint32_t peer) {
  const auto it = std::find(at.link_peers.begin(), at.link_peers.end(), peer);
  at.links.erase(at.links.begin() + (it - at.link_peers.begin()));
  at.link_peers.erase(it);
}

bool network::connect(const node_id& a, const node_id& b) {
  node* x = find(a);
  node* y = find(b);
  if (!x || !y || x == y || !x->alive || !y->alive || find_link(x->index, y->index)) return false;
  const std::uint32_t generation = next_generation_++;
  add_link(*x, {y->index, generation, false, config_.default_link});
  add_link(*y, {x->index, generation, false, config_.default_link});
  scheduler_.schedule(config_.default_link.latency,
                      [this, i = x->index, j = y->index, generation] { bring_up(i, j, generation); });
  return true;
}

void network::bring_up(std::uint32_t a, std::uint32_t b, std::uint32_t generation) {
  link* ab = find_link(a, b);
  link* ba = find_link(b, a);
  if (!ab || ab->generation != generation || !ba) return;  // closed while connecting
  if (!nodes_[a].alive || !nodes_[b].alive) return;  // the crash's teardown removes it
  ab->up = ba->up = true;
  nodes_[a].events->on_link_up(nodes_[b].id);
  nodes_[b].events->on_link_up(nodes_[a].id);
}

bool network::disconnect(const node_id& a, const node_id& b) {
  const node* x = find(a);
  const node* y = find(b);
  if (!x || !y) return false;
  const link* l = find_link(x->index, y->index);
  if (!l) return false;
  // Reported from the event loop, never from inside the caller.
  scheduler_.schedule(duration::zero(), [this, i = x->index, j = y->index, g = l->generation] {
    tear_down(i, j, g);
  });
  return true;
}

void network::tear_down(std::uint32_t a, std::uint32_t b, std::uint32_t generation) {
  const link* ab = find_link(a, b);
  if (!ab || ab->generation != generation) return;
  const bool was_up = ab->up;
  remove_link(nodes_[a], b);
  remove_link(nodes_[b], a);
  for (std::uint32_t end : {a, b}) {
    const std::uint32_t other = end == a ? b : a;
    if (was_up && nodes_[end].alive) nodes_[end].events->on_link_down(nodes_[other].id);
  }
}

bool network::set_link_profile(const node_id& a, const node_id& b, const link_profile& profile) {
  const node* x = find(a);
  const node* y = find(b);
  if (!x || !y) return false;
  link* ab = find_link(x->index, y->index);
  link* ba = find_link(y->index, x->index);
  if (!ab || !ba) return false;
  ab->profile = ba->profile = profile;
  return true;
}

void network::crash(const node_id& id) {
  node* n = find(id);
  if (!n || !n->alive) return;
  n->alive = false;
  stats_.offers_outstanding -= n->offers.size();  // what it gathered dies with it
  n->offers.clear();
  for (const link& l : n->links) {
    scheduler_.schedule(config_.failure_detection_delay,
                        [this, i = n->index, j = l.peer, g = l.generation] { tear_down(i, j, g); });
  }
}

bool network::alive(const node_id& id) const {
  const node* n = find(id);
  return n && n->alive;
}

bool network::linked(const node_id& a, const node_id& b) const {
  const node* x = find(a);
  const node* y = find(b);
  if (!x || !y) return false;
  const link* l = find_link(x->index, y->index);
  return l && l->up;
}

bool network::send(std::uint32_t from, const node_id& to, std::vector<std::uint8_t> message) {
  const node* target = find(to);
  if (!nodes_[from].alive || !target) return false;
  const link* l = find_link(from, target->index);
  if (!l || !l->up) return false;
  if (l->profile.loss > 0 && uniform_unit(random_) < l->profile.loss) {
    ++stats_.lost;
    return true;
  }
  std::uint32_t index;
  if (free_in_flight_.empty()) {
    index = static_cast<std::uint32_t>(in_flight_.size());
    in_flight_.emplace_back();
  } else {
    index = free_in_flight_.back();
    free_in_flight_.pop_back();
  }
  in_flight_[index] = {from, target->index, l->generation, std::move(message)};
  scheduler_.schedule(l->profile.latency, [this, index] { deliver(index); });
  return true;
}

void network::deliver(std::uint32_t in_flight_index) {
  // Taken out first: the receiver's answers reuse the slot.
  const in_flight m = std::move(in_flight_[in_flight_index]);
  free_in_flight_.push_back(in_flight_index);
  const link* l = find_link(m.to, m.from);
  if (!nodes_[m.from].alive || !nodes_[m.to].alive || !l || l->generation != m.generation) {
    ++stats_.dropped;
    return;
  }
  ++stats_.delivered;
  nodes_[m.to].events->on_message(nodes_[m.from].id, m.message);
}

}  // namespace p2psip::overlay::sim
