#include "overlay/chord_topology.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <set>
#include <utility>

#include "overlay/ring.hpp"

namespace p2psip::overlay {

namespace {

using wire::destination;
using wire::message_code;
using wire::reload_error_code;

// A ring position as the Resource-ID destination that reaches its responsible
// peer: CHORD Resource-IDs and Node-IDs share one space (§10.2).
destination key_destination(const node_id& key) {
  return destination::resource(*wire::resource_id::from_span(key.bytes()));
}

// Updates and Attaches a single Update may trigger, so that a hostile or
// confused Update cannot make this node open links without bound.
constexpr std::size_t max_attaches_per_update = 8;

std::vector<node_id> sorted_unique(std::vector<node_id> peers) {
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  return peers;
}

}  // namespace

chord_topology::chord_topology(overlay_node& node)
    : node_(node),
      table_(node.self()),
      tuning_(node.timers().now()),
      started_(node.timers().now()),
      interval_(node.config().chord_update_interval) {}

// --- geometry -----------------------------------------------------------------

bool chord_topology::is_responsible(const node_id& key) const {
  // A joining node answers for nothing until its Join is done (§10.5); an
  // isolated one answers for what it can reach, itself (see isolated()).
  return joined_ && table_.neighbors().is_responsible(key);
}

bool chord_topology::isolated() const {
  return joined_ && lost_ring_ && table_.neighbors().empty();
}

std::optional<node_id> chord_topology::next_hop(const node_id& key) const {
  auto next = table_.next_hop(key);
  if (next && node_.connected(*next)) return next;
  if (!joined_) {
    // Until joined, whatever the tables lack goes through the peers that let
    // this node in.
    if (admitting_ && node_.connected(*admitting_)) return admitting_;
    if (bootstrap_ && node_.connected(*bootstrap_)) return bootstrap_;
  }
  return next;
}

std::optional<node_id> chord_topology::next_hop_avoiding(const node_id& key,
                                                         std::span<const node_id> avoid) const {
  if (auto best = next_hop(key); best && node_.connected(*best) &&
                                 std::find(avoid.begin(), avoid.end(), *best) == avoid.end()) {
    return best;
  }
  return table_.next_hop(key, [&](const node_id& p) {
    return node_.connected(p) && std::find(avoid.begin(), avoid.end(), p) == avoid.end();
  });
}

std::vector<node_id> chord_topology::replica_peers() const {
  const auto peers = table_.neighbors().replica_successors();
  return {peers.begin(), peers.end()};
}

bool chord_topology::in_replica_set(const node_id& key) const {
  return table_.neighbors().in_replica_set(key);
}

std::optional<node_id> chord_topology::responsible_peer(const node_id& key) const {
  if (!joined_) return std::nullopt;
  return table_.neighbors().responsible_peer(key);
}

topology_view chord_topology::view() const {
  topology_view v;
  const auto& n = table_.neighbors();
  v.predecessors.assign(n.predecessors().begin(), n.predecessors().end());
  v.successors.assign(n.successors().begin(), n.successors().end());
  v.fingers.assign(table_.fingers().entries().begin(), table_.fingers().entries().end());
  return v;
}

std::vector<node_id> chord_topology::neighbor_set() const {
  const auto& n = table_.neighbors();
  std::vector<node_id> peers(n.successors().begin(), n.successors().end());
  peers.insert(peers.end(), n.predecessors().begin(), n.predecessors().end());
  return sorted_unique(std::move(peers));
}

// --- joining ------------------------------------------------------------------

void chord_topology::start_new_overlay() {
  joined_ = true;
  lost_ring_ = false;
  schedule_stabilization();
}

void chord_topology::join(const node_id& bootstrap) {
  bootstrap_ = bootstrap;
  if (node_.connected(bootstrap)) add_peer(bootstrap);
  begin_join();
}

void chord_topology::begin_join() {
  joined_ = false;
  join_sent_ = false;
  admitting_.reset();
  join_attaches_pending_ = 0;
  const auto attempt = ++join_attempt_;
  // §10.5 step 2: Attach to the admitting peer, responsible for n+1, asking
  // for its tables (the RECOMMENDED procedure).
  const auto target = advance(node_.self(), 1);
  node_.attach({key_destination(target)}, true, [this, attempt](auto result) {
    if (attempt != join_attempt_ || joined_) return;
    if (!result) {
      join_failed();
      return;
    }
    admitting_ = *result;
    add_peer(*result);
    // The admitting peer's Update (send_update) starts the neighbour
    // attaches; if it never comes, Join anyway when the timer fires.
    node_.timers().schedule(node_.config().join_timeout, [this, attempt] {
      if (attempt == join_attempt_ && !joined_ && !join_sent_) send_join();
    });
  });
}

void chord_topology::join_failed() {
  if (leaving_) return;
  const auto attempt = join_attempt_;
  node_.timers().schedule(node_.config().join_timeout, [this, attempt] {
    if (attempt != join_attempt_ || joined_) return;
    if (bootstrap_ && !node_.connected(*bootstrap_)) {
      // Any live link will do as the way in.
      const auto way_in = node_.any_link();
      if (!way_in) return;  // the owner re-bootstraps
      bootstrap_ = *way_in;
    }
    begin_join();
  });
}

void chord_topology::attach_to_neighbors_of(const node_id& admitting,
                                            const wire::chord_update& update) {
  std::vector<node_id> peers;
  if (const auto* n = std::get_if<wire::chord_neighbors>(&update.contents)) {
    peers = n->predecessors;
    peers.insert(peers.end(), n->successors.begin(), n->successors.end());
  } else if (const auto* f = std::get_if<wire::chord_full>(&update.contents)) {
    peers = f->neighbors.predecessors;
    peers.insert(peers.end(), f->neighbors.successors.begin(), f->neighbors.successors.end());
  }
  // §10.5 step 3: links to each expected neighbour, source-routed through
  // the admitting peer (§10.6), before the Join.
  neighbor_table expected(node_.self(), table_.neighbors().successor_capacity(),
                          table_.neighbors().predecessor_capacity());
  expected.insert(admitting);
  for (const auto& p : peers) {
    if (p != node_.self()) expected.insert(p);
  }
  std::vector<node_id> targets;
  for (const auto& p : expected.successors()) targets.push_back(p);
  for (const auto& p : expected.predecessors()) targets.push_back(p);
  targets = sorted_unique(std::move(targets));
  const auto attempt = join_attempt_;
  for (const auto& p : targets) {
    if (node_.connected(p)) {
      add_peer(p);
      continue;
    }
    ++join_attaches_pending_;
    attach_peer(p, admitting, [this, attempt](bool) {
      if (attempt != join_attempt_ || join_attaches_pending_ == 0) return;
      if (--join_attaches_pending_ == 0 && !join_sent_) send_join();
    });
  }
  if (join_attaches_pending_ == 0 && !join_sent_) send_join();
}

void chord_topology::attach_fingers() {
  // §10.5: the i'th finger is whoever holds n + 2^(128-i), routed normally.
  const auto& fingers = table_.fingers();
  for (std::size_t i = 0; i < fingers.size(); ++i) {
    if (!fingers.valid(i)) seek_finger(fingers.range_start(i));
  }
}

void chord_topology::seek_finger(const node_id& point) {
  // A Ping finds who holds the point (§10.7.4.2), and only a peer not
  // linked yet is then Attached: mostly the holder is linked already, and
  // an Attach offer costs an ICE agent (sockets, candidate gathering, relay
  // allocations) whatever the answer.
  const auto asked = node_.timers().now();
  node_.send_request({key_destination(point)}, {message_code::ping_req, wire::ping_req{}},
                     [this, asked](answer_result result) {
                       if (!result || !joined_ || leaving_) return;
                       const auto holder = result->responder;
                       if (holder == node_.self()) return;
                       if (node_.connected(holder)) {
                         keep_or_close(holder, asked);
                         return;
                       }
                       attach_peer(holder, std::nullopt, [this, holder, asked](bool linked) {
                         if (linked) keep_or_close(holder, asked);
                       });
                     });
}

void chord_topology::send_join() {
  if (!admitting_ || join_sent_) return;
  join_sent_ = true;
  const auto attempt = join_attempt_;
  wire::join_req join;
  join.joining_peer_id = node_.self();
  node_.send_request({destination::node(*admitting_)}, {message_code::join_req, join},
                     [this, attempt](answer_result result) {
                       if (attempt != join_attempt_ || joined_) return;
                       if (!result) {
                         join_failed();
                         return;
                       }
                       become_joined();
                     });
}

void chord_topology::become_joined() {
  joined_ = true;
  lost_ring_ = false;
  node_.set_state(node_state::joined);
  // §10.5 step 9: Updates to every neighbour place this node in the ring.
  for (const auto& peer : neighbor_set()) send_update(peer, update_kind::neighbors);
  // RFC 7363 §6.1: the join filled the tables enough to size them and the
  // first stabilization period at once.
  if (node_.config().self_tuning) retune();
  attach_fingers();
  schedule_stabilization();
  node_.notify_topology_changed();
}

// --- tables -------------------------------------------------------------------

void chord_topology::add_peer(const node_id& peer) {
  // Updates name the same peers over and over: those already in the tables
  // change nothing and cost only this check. In a small ring a predecessor
  // can belong among the successors too (after failures emptied that list):
  // a peer is settled only when no list it is missing from would take it.
  const bool settled = !table_.neighbors().would_accept(peer) &&
                       (table_.neighbors().contains(peer) || table_.contains(peer));
  if (peer == node_.self() || settled || !node_.connected(peer)) return;
  peer_started_.try_emplace(peer, node_.timers().now());
  const auto& n = table_.neighbors();
  const std::vector<node_id> successors(n.successors().begin(), n.successors().end());
  const std::vector<node_id> predecessors(n.predecessors().begin(), n.predecessors().end());
  table_.add(peer);
  if (!std::ranges::equal(successors, n.successors()) ||
      !std::ranges::equal(predecessors, n.predecessors())) {
    // RFC 7363 §5.2: a peer new to the neighbour lists hears an Update, so
    // that it can take this node into its own lists. It names our
    // neighbours rather than being an empty peer_ready: periodic Updates go
    // only to the first successor and predecessor, so after two rings merge
    // each new neighbour would otherwise learn the other ring's peers one
    // stabilization period (15 s or more) per hop.
    if (joined_ && node_.config().self_tuning && n.contains(peer)) {
      send_update(peer, update_kind::neighbors);
    }
    const bool range_changed = predecessors.empty() || n.predecessors().empty() ||
                               predecessors.front() != n.predecessors().front();
    neighbors_changed(range_changed);
  }
}

void chord_topology::keep_or_close(const node_id& peer, time_point asked) {
  if (peer == node_.self()) return;
  add_peer(peer);
  // A finger search that found a peer no table wants opened a link for
  // nothing; left open, such links pile up with every refresh.
  const auto since = node_.linked_since(peer);
  if (!table_.contains(peer) && since && *since >= asked) node_.close_link(peer);
}

void chord_topology::remove_peer(const node_id& peer, departure how) {
  const bool was_neighbor = table_.neighbors().contains(peer);
  const auto before = neighbor_set();
  const auto& predecessors = table_.neighbors().predecessors();
  const bool range_changed = !predecessors.empty() && predecessors.front() == peer;
  table_.remove_failed(peer);
  peer_started_.erase(peer);
  wanted_.erase(peer);
  // RFC 7363 §6.3.1 counts a Leave as a failure for the rate estimate.
  if (was_neighbor) tuning_.record_failure(node_.timers().now());
  if (was_neighbor && joined_ && !leaving_ && table_.neighbors().empty()) {
    lost_ring_ = how == departure::failed;
  }
  const auto after = neighbor_set();
  if (after != before) {
    // Peers the failure moved into the lists (re-offered from the fingers,
    // or a predecessor now a successor too) hear an Update, as add_peer's
    // newcomers do (RFC 7363 §5.2): after a partition the far end of each
    // half's arc takes this node in only so, since its own range may not
    // change and periodic Updates may be minutes apart.
    if (joined_ && !leaving_ && node_.config().self_tuning) {
      std::vector<node_id> newcomers;
      std::ranges::set_difference(after, before, std::back_inserter(newcomers));
      for (const auto& newcomer : newcomers) send_update(newcomer, update_kind::neighbors);
    }
    neighbors_changed(range_changed);
  }
  // Everything left of the ring lost: this node must join again (§10.7.1).
  const auto way_in = node_.any_link();
  if (joined_ && !leaving_ && table_.neighbors().empty() && way_in) {
    bootstrap_ = *way_in;
    node_.set_state(node_state::joining);
    begin_join();
  }
}

void chord_topology::attach_peer(const node_id& peer, const std::optional<node_id>& via,
                                 std::function<void(bool)> done) {
  if (peer == node_.self() || node_.connected(peer) || !attaching_.insert(peer).second) {
    if (done) done(node_.connected(peer));
    return;
  }
  std::vector<destination> route;
  if (via && *via != node_.self() && node_.connected(*via))
    route.push_back(destination::node(*via));
  route.push_back(destination::node(peer));
  wanted_.insert(peer);
  node_.attach(std::move(route), false, [this, peer, done = std::move(done)](auto result) {
    attaching_.erase(peer);
    if (result) add_peer(*result);
    if (done) done(result.has_value());
  });
}

void chord_topology::consider_peers(const std::vector<node_id>& peers, const node_id& via,
                                    bool as_fingers) {
  std::size_t started = 0;
  for (const auto& p : peers) {
    if (started == max_attaches_per_update) break;
    // Most named peers are placed already or fit nowhere: settle those on
    // the small tables before any lookup in the (much larger) link map.
    const auto& neighbors = table_.neighbors();
    if (p == node_.self()) continue;
    const bool as_neighbor = neighbors.would_accept(p);
    if (!as_neighbor && neighbors.contains(p)) continue;
    const auto index = table_.fingers().index_for(p);
    const bool empty_finger = index && !table_.fingers().valid(*index);
    if (!as_neighbor && !empty_finger) continue;
    if (attaching_.contains(p)) continue;
    if (node_.connected(p)) {
      // Linked already (it attached to us, say) but not in the tables: it
      // takes its place without another Attach.
      add_peer(p);
      continue;
    }
    if (!as_neighbor && !as_fingers) continue;
    ++started;
    attach_peer(p, via);
  }
}

void chord_topology::neighbors_changed(bool range_changed) {
  node_.notify_topology_changed();
  if (!joined_) return;
  // §10.7.3: a new range of responsibility is announced to the whole
  // Connection Table; other changes only under reactive recovery, which
  // self-tuning does not use (RFC 7363 §5).
  const auto& c = node_.config();
  const bool reactive = c.chord_reactive && !c.self_tuning;
  const auto audience = range_changed ? update_audience::connections
                        : reactive    ? update_audience::neighbors
                                      : update_audience::none;
  if (audience == update_audience::none) return;
  const bool flush_scheduled = pending_audience_ != update_audience::none;
  pending_audience_ = std::max(pending_audience_, audience);
  if (flush_scheduled) return;
  // Several changes in one instant make one round of Updates.
  node_.timers().schedule(duration::zero(), [this] {
    const auto audience = std::exchange(pending_audience_, update_audience::none);
    if (!joined_ || leaving_) return;
    const auto peers =
        audience == update_audience::connections ? node_.linked_peers() : neighbor_set();
    for (const auto& peer : peers) send_update(peer, update_kind::neighbors);
  });
}

wire::chord_update chord_topology::make_update(update_kind kind) const {
  wire::chord_update update;
  update.uptime = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(node_.timers().now() - started_).count());
  wire::chord_neighbors neighbors;
  const auto& n = table_.neighbors();
  neighbors.predecessors.assign(n.predecessors().begin(), n.predecessors().end());
  neighbors.successors.assign(n.successors().begin(), n.successors().end());
  if (kind == update_kind::neighbors) {
    update.contents = std::move(neighbors);
    return update;
  }
  wire::chord_full full;
  full.neighbors = std::move(neighbors);
  std::vector<node_id> fingers;
  for (const auto& f : table_.fingers().entries()) {
    if (f) fingers.push_back(*f);
  }
  full.fingers = sorted_unique(std::move(fingers));  // numerically ascending (§10.7)
  update.contents = std::move(full);
  return update;
}

void chord_topology::send_update(const node_id& peer, update_kind kind) {
  auto request = wire::to_update_req(make_update(kind));
  if (!request) return;
  node_.send_request({destination::node(peer)}, {message_code::update_req, std::move(*request)},
                     [this, peer](answer_result result) {
                       // A neighbour that no longer answers has failed (§10.7.1).
                       if (!result && result.error().failure == request_failure::timeout &&
                           node_.connected(peer)) {
                         node_.close_link(peer);
                       }
                     });
}

// --- links --------------------------------------------------------------------

bool chord_topology::needs_link(const node_id& peer) const {
  // Until joined, the peers letting this node in carry whatever the tables lack.
  return table_.contains(peer) || attaching_.contains(peer) || wanted_.contains(peer) ||
         (!joined_ && (peer == admitting_ || peer == bootstrap_));
}

void chord_topology::on_link_up(const node_id& peer) {
  // Links opened by others' Attaches join only the Connection Table; the
  // Routing Table takes peers this node sought or that announce themselves.
  if (wanted_.erase(peer) || peer == admitting_ || peer == bootstrap_) add_peer(peer);
  if (update_requested_.erase(peer)) send_update(peer, update_kind::full);
}

void chord_topology::on_link_down(const node_id& peer) {
  attaching_.erase(peer);
  update_requested_.erase(peer);
  if (!joined_ && peer == admitting_) {
    join_failed();
  }
  remove_peer(peer, departure::failed);
}

void chord_topology::on_update_requested(const node_id& peer) {
  if (node_.connected(peer)) {
    send_update(peer, update_kind::full);
  } else {
    update_requested_.insert(peer);
  }
}

// --- overlay merge ------------------------------------------------------------

void chord_topology::introduce(const node_id& peer) {
  if (!joined_ || leaving_ || peer == node_.self() || !node_.connected(peer)) return;
  // Our full Update puts us in the peer's tables and names our neighbours
  // and fingers to it; taking the peer into ours names it to our neighbours.
  // Stabilization on both sides then closes the two rings into one.
  add_peer(peer);
  send_update(peer, update_kind::full);
}

// --- stabilization (§10.7.4) ----------------------------------------------------

void chord_topology::schedule_stabilization() {
  // §10.7.4.1: randomly offset, so that peers do not update in step.
  const auto jitter = static_cast<double>(node_.random()() % 1000) / 1000.0;
  const auto delay = std::chrono::duration_cast<duration>(interval_ * (0.75 + 0.5 * jitter));
  node_.timers().schedule(delay, [this] { stabilize(); });
}

void chord_topology::stabilize() {
  if (!joined_ || leaving_) return;
  for (const auto& peer : stabilization_targets()) send_update(peer, update_kind::neighbors);
  refresh_finger();
  if (node_.config().self_tuning) retune();
  schedule_stabilization();
}

std::vector<node_id> chord_topology::stabilization_targets() const {
  if (!node_.config().self_tuning) return neighbor_set();
  // RFC 7363 §5.2: the first successor and first predecessor only.
  const auto& n = table_.neighbors();
  std::vector<node_id> targets;
  if (!n.successors().empty()) targets.push_back(n.successors().front());
  if (!n.predecessors().empty()) targets.push_back(n.predecessors().front());
  return sorted_unique(std::move(targets));
}

void chord_topology::retune() {
  const auto now = node_.timers().now();
  local_observations seen;
  seen.network_size = estimate_network_size(table_.neighbors());
  const auto in_tables = table_.peers();
  seen.routing_peers = in_tables.size();
  // Peers that other entries displaced from the tables leave no trace.
  std::erase_if(peer_started_, [&in_tables](const auto& entry) {
    return !std::binary_search(in_tables.begin(), in_tables.end(), entry.first);
  });
  for (const auto& [peer, since] : peer_started_) seen.peer_ages.push_back(now - since);
  const auto period = tuning_.end_of_period(now, seen);
  table_.neighbors().set_capacity(period.sizes.successors, period.sizes.predecessors);
  table_.fingers().resize(period.sizes.fingers);
  interval_ = period.stabilization_interval;
}

void chord_topology::refresh_finger() {
  const auto now = node_.timers().now();
  // §10.7.4.2 bounds finger searches by chord-ping-interval; with self-tuning
  // (RFC 7363 §4) the stabilization period paces them instead.
  if (!node_.config().self_tuning &&
      now - last_finger_refresh_ < node_.config().chord_ping_interval) {
    return;
  }
  const auto& fingers = table_.fingers();
  const auto& successors = table_.neighbors().successors();
  const auto reach =
      successors.empty() ? uint128{0} : clockwise_distance(node_.self(), successors.back());
  const auto index = fingers.choose_refresh(node_.random()(), reach);
  if (!index) return;
  last_finger_refresh_ = now;
  const uint128 bits = (uint128{node_.random()()} << 64) | node_.random()();
  const auto target = fingers.random_target(*index, bits);
  seek_finger(target);
}

// --- leaving (§10.9) ------------------------------------------------------------

void chord_topology::leave(std::function<void()> done) {
  leaving_ = true;
  const auto& n = table_.neighbors();
  std::vector<std::pair<node_id, wire::chord_leave_data>> goodbyes;
  for (const auto& s : n.successors()) {
    goodbyes.push_back(
        {s, {wire::chord_leave_from_pred{{n.predecessors().begin(), n.predecessors().end()}}}});
  }
  for (const auto& p : n.predecessors()) {
    if (std::find(n.successors().begin(), n.successors().end(), p) != n.successors().end())
      continue;
    goodbyes.push_back(
        {p, {wire::chord_leave_from_succ{{n.successors().begin(), n.successors().end()}}}});
  }
  if (goodbyes.empty() || !joined_) {
    done();
    return;
  }
  auto remaining = std::make_shared<std::size_t>(goodbyes.size());
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  for (const auto& [peer, data] : goodbyes) {
    auto request = wire::to_leave_req(node_.self(), data);
    if (!request) {
      if (--*remaining == 0) (*finish)();
      continue;
    }
    node_.send_request({destination::node(peer)}, {message_code::leave_req, std::move(*request)},
                       [remaining, finish](answer_result) {
                         if (--*remaining == 0) (*finish)();
                       });
  }
}

// --- requests -------------------------------------------------------------------

bool chord_topology::handles(wire::message_code code) const {
  switch (code) {
    case message_code::update_req:
    case message_code::join_req:
    case message_code::leave_req:
    case message_code::route_query_req:
    case message_code::probe_req: return true;
    default: return false;
  }
}

void chord_topology::on_request(const incoming_request& request, responder reply) {
  switch (request.body.code) {
    case message_code::update_req: handle_update(request, reply); break;
    case message_code::join_req: handle_join(request, reply); break;
    case message_code::leave_req: handle_leave(request, reply); break;
    case message_code::route_query_req: handle_route_query(request, reply); break;
    case message_code::probe_req: handle_probe(request, reply); break;
    default: reply.error(reload_error_code::invalid_message, "not a topology request"); break;
  }
}

void chord_topology::handle_update(const incoming_request& request, responder& reply) {
  auto update = wire::chord_update_of(std::get<wire::update_req>(request.body.value));
  if (!update) {
    reply.error(reload_error_code::invalid_message, "malformed ChordUpdate");
    return;
  }
  const node_id& sender = request.sender;
  reply.answer({message_code::update_ans, wire::update_ans{}});
  if (!joined_) {
    // While joining, the admitting peer's tables tell whom to attach to.
    if (admitting_ && sender == *admitting_ && !join_sent_ && join_attaches_pending_ == 0) {
      attach_to_neighbors_of(sender, *update);
    }
    return;
  }
  // The sender is in the ring: it belongs in the tables if linked, and is
  // worth a link if it would be a neighbour (§10.7.3).
  if (node_.connected(sender)) {
    add_peer(sender);
  } else if (table_.neighbors().would_accept(sender)) {
    attach_peer(sender, std::nullopt);
  }
  // RFC 7363 §5.1: the ages self-tuning needs are the peers' own uptimes.
  if (const auto started = peer_started_.find(sender); started != peer_started_.end()) {
    started->second = node_.timers().now() - std::chrono::seconds(update->uptime);
  }
  std::vector<node_id> peers;
  std::vector<node_id> fingers;
  if (const auto* n = std::get_if<wire::chord_neighbors>(&update->contents)) {
    peers = n->predecessors;
    peers.insert(peers.end(), n->successors.begin(), n->successors.end());
  } else if (const auto* f = std::get_if<wire::chord_full>(&update->contents)) {
    peers = f->neighbors.predecessors;
    peers.insert(peers.end(), f->neighbors.successors.begin(), f->neighbors.successors.end());
    fingers = f->fingers;
  }
  consider_peers(peers, sender, false);
  if (!fingers.empty()) consider_peers(fingers, sender, true);
}

void chord_topology::handle_join(const incoming_request& request, responder& reply) {
  const auto& join = std::get<wire::join_req>(request.body.value);
  if (join.joining_peer_id != request.sender) {
    reply.error(reload_error_code::forbidden, "joining_peer_id is not the signer's Node-ID");
    return;
  }
  if (!joined_) {
    reply.error(reload_error_code::forbidden, "this peer has not joined the overlay itself");
    return;
  }
  if (!node_.connected(request.sender)) {
    reply.error(reload_error_code::forbidden, "Attach to the admitting peer before Join (§10.5)");
    return;
  }
  reply.answer({message_code::join_ans, wire::join_ans{}});
  // §10.5 steps 6-8: the joining node enters the tables and the storage
  // layer hands over its data; reactive recovery sends the neighbours their
  // Updates, periodic recovery (RFC 7363) needs them sent here.
  add_peer(request.sender);
  const auto& c = node_.config();
  if (c.self_tuning || !c.chord_reactive) {
    for (const auto& peer : neighbor_set()) send_update(peer, update_kind::neighbors);
  } else {
    send_update(request.sender, update_kind::neighbors);
  }
}

void chord_topology::handle_leave(const incoming_request& request, responder& reply) {
  const auto& leave = std::get<wire::leave_req>(request.body.value);
  if (leave.leaving_peer_id != request.sender) {
    reply.error(reload_error_code::forbidden, "leaving_peer_id is not the signer's Node-ID");
    return;
  }
  auto data = wire::chord_leave_data_of(leave);
  if (!data) {
    reply.error(reload_error_code::invalid_message, "malformed ChordLeaveData");
    return;
  }
  reply.answer({message_code::leave_ans, wire::leave_ans{}});
  std::vector<node_id> peers;
  if (const auto* s = std::get_if<wire::chord_leave_from_succ>(&data->value)) peers = s->successors;
  if (const auto* p = std::get_if<wire::chord_leave_from_pred>(&data->value))
    peers = p->predecessors;
  remove_peer(request.sender, departure::left);
  consider_peers(peers, request.sender, false);
}

void chord_topology::handle_route_query(const incoming_request& request, responder& reply) {
  const auto& query = std::get<wire::route_query_req>(request.body.value);
  std::optional<node_id> key;
  if (const auto* n = std::get_if<node_id>(&query.destination.value)) key = *n;
  if (const auto* r = std::get_if<wire::resource_id>(&query.destination.value)) {
    key = resource_key(*r);
  }
  if (!key) {
    reply.error(reload_error_code::invalid_message, "RouteQuery needs a Node-ID or Resource-ID");
    return;
  }
  wire::chord_route_query_ans answer;
  answer.next_peer = is_responsible(*key) ? node_.self() : next_hop(*key).value_or(node_.self());
  auto body = wire::to_route_query_ans(answer);
  if (!body) {
    reply.error(reload_error_code::invalid_message, "RouteQueryAns could not be encoded");
    return;
  }
  reply.answer({message_code::route_query_ans, std::move(*body)});
  // §10.8: send_update asks for an Update right after the answer.
  if (query.send_update) send_update(request.sender, update_kind::full);
}

void chord_topology::handle_probe(const incoming_request& request, responder& reply) {
  const auto& probe = std::get<wire::probe_req>(request.body.value);
  wire::probe_ans answer;
  for (auto type : probe.requested_info) {
    switch (type) {
      case wire::probe_information_type::responsible_set: {
        // Parts per billion of the ring this peer answers for (§10.8's
        // Probe, §6.4.2.1): the arc from its predecessor.
        const auto& preds = table_.neighbors().predecessors();
        long double share = 1.0L;
        if (!preds.empty()) {
          share =
              static_cast<long double>(clockwise_distance(preds.front(), node_.self())) / 0x1p128L;
        }
        answer.probe_info.push_back(
            {wire::probe_responsible_set{static_cast<std::uint32_t>(share * 1e9L)}});
        break;
      }
      case wire::probe_information_type::num_resources:
        answer.probe_info.push_back(
            {wire::probe_num_resources{resource_counter_ ? resource_counter_() : 0}});
        break;
      case wire::probe_information_type::uptime:
        answer.probe_info.push_back({wire::probe_uptime{static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(node_.timers().now() - started_)
                .count())}});
        break;
      default: break;  // unknown kinds of information are left out
    }
  }
  reply.answer({message_code::probe_ans, std::move(answer)});
}

}  // namespace p2psip::overlay
