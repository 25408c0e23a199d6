#include "bootstrap/membership_keeper.hpp"

#include <algorithm>
#include <memory>

#include "runtime/logger.hpp"

namespace p2psip::bootstrap {

using overlay::node_state;
using runtime::log_level;
using runtime::logs;

membership_keeper::membership_keeper(overlay::overlay_node& node, overlay::timer_service& timers,
                                     peer_dialler& dialler, membership_options options)
    : node_(node), timers_(timers), dialler_(dialler), options_(std::move(options)) {
  node_.on_state_change([this](node_state state) {
    // Peers found while this node could not join (all were starting alone)
    // may each have started an overlay: merge with theirs. Deferred: the
    // topology takes the joined state after the node reports it.
    if (state == node_state::joined) {
      ever_joined_ = true;
      after(overlay::duration::zero(), [this] {
        for (const auto& peer : bootstrap_peers_) use_linked_peer(peer);
      });
    }
  });
}

membership_keeper::~membership_keeper() {
  for (const auto id : pending_timers_) timers_.cancel(id);
}

void membership_keeper::after(overlay::duration delay, std::function<void()> callback) {
  if (stopped_) return;
  auto id = std::make_shared<overlay::timer_id>();
  *id = timers_.schedule(delay, [this, id, callback = std::move(callback)] {
    pending_timers_.erase(*id);
    if (!stopped_) callback();
  });
  pending_timers_.insert(*id);
}

void membership_keeper::start() {
  last_remembered_ = remembered_peers();
  next_merge_probe_ = timers_.now() + jittered(options_.merge_probe_interval);
  const auto nodes = ways_in();
  check();
  if (nodes.empty() && !options_.discovery) {
    logs.write(log_level::notice, "no bootstrap peers: starting a new overlay");
    node_.start_new_overlay();
    return;
  }
  seek_way_in(nodes);
  after(options_.bootstrap_wait, [this] { start_alone_unless_joined(); });
}

void membership_keeper::stop() {
  if (stopped_) return;
  remember_peers();
  stopped_ = true;
  for (const auto id : pending_timers_) timers_.cancel(id);
  pending_timers_.clear();
}

void membership_keeper::add_bootstrap_node(const peer_address& where) {
  options_.bootstrap_nodes.push_back(where);
  dial_bootstrap(where, options_.first_retry_delay);
}

void membership_keeper::start_alone_unless_joined() {
  if (node_.state() == node_state::joined) return;
  // Still joining means the peers found were not in an overlay either
  // (they started at the same time): start one and merge when they do.
  logs.write(log_level::notice, node_.state() == node_state::idle
                                    ? "no bootstrap peer answered: starting a new overlay"
                                    : "could not join through the peers found: starting a "
                                      "new overlay, to merge with theirs");
  node_.start_new_overlay();
}

void membership_keeper::link_up(const wire::node_id& peer) {
  last_linked_ = timers_.now();
  if (bootstrap_peers_.contains(peer)) use_linked_peer(peer);
}

void membership_keeper::link_down(const wire::node_id&) { keep_in_an_overlay(); }

std::vector<peer_address> membership_keeper::ways_in() const {
  std::vector<peer_address> addresses = options_.bootstrap_nodes;
  for (const auto& peer : last_remembered_) {
    addresses.push_back({peer.address.address().to_string(), peer.address.port()});
  }
  return addresses;
}

bool membership_keeper::needs_way_in() const {
  return node_.state() == node_state::idle || dialler_.link_count() == 0;
}

// An emptied ring leaves the node joining for good (nobody admits it) or
// joined with nobody: it goes on alone, keeping its data, and looks for
// peers to merge with.
void membership_keeper::keep_in_an_overlay() {
  if (stopped_) return;
  if (node_.state() != node_state::joining || !ever_joined_) {
    rejoining_since_.reset();
  } else {
    if (!rejoining_since_) rejoining_since_ = timers_.now();
    if (dialler_.link_count() == 0 ||
        timers_.now() - *rejoining_since_ >= options_.bootstrap_wait) {
      rejoining_since_.reset();
      logs.write(log_level::notice,
                 std::string(dialler_.link_count() == 0 ? "the ring emptied"
                                                        : "could not rejoin the ring") +
                     ": going on in an overlay of its own, to merge with "
                     "the peers found");
      node_.start_new_overlay();
      // Peers still linked may form a ring of their own: merge with it.
      for (const auto& peer : node_.linked_peers()) bootstrap_peers_.insert(peer);
    }
  }
  if (node_.state() == node_state::joined && dialler_.link_count() == 0) seek_way_in(ways_in());
}

void membership_keeper::discovered(const wire::node_id& peer,
                                   const boost::asio::ip::tcp::endpoint& where) {
  if (peer == node_.self()) return;
  if (dialler_.connected(peer)) {
    // Announcements repeat: only a linked peer our tables lack may be in
    // another ring.
    if (!in_routing_tables(peer)) {
      bootstrap_peers_.insert(peer);
      use_linked_peer(peer);
    }
    return;
  }
  logs.write(log_level::info, "discovered " + peer.hex() + " at " + where.address().to_string() +
                                  ":" + std::to_string(where.port()));
  bootstrap_peers_.insert(peer);
  dialler_.dial(peer, where);
}

bool membership_keeper::isolated() const {
  return dialler_.link_count() == 0 && last_linked_ &&
         timers_.now() - *last_linked_ > options_.isolation_after;
}

void membership_keeper::use_linked_peer(const wire::node_id& peer) {
  if (!dialler_.connected(peer)) return;
  if (node_.state() == node_state::idle) {
    if (!options_.before_join) {
      node_.join(peer);
      return;
    }
    if (join_pending_) return;
    join_pending_ = true;
    options_.before_join([this, peer, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.expired()) return;
      join_pending_ = false;
      // The way in may have gone meanwhile; the next one found joins.
      if (node_.state() == node_state::idle && dialler_.connected(peer)) node_.join(peer);
    });
  } else if (node_.state() == node_state::joined) {
    node_.topology().introduce(peer);
  }
}

bool membership_keeper::in_routing_tables(const wire::node_id& peer) const {
  const auto view = node_.topology().view();
  const auto holds = [&](const auto& list) {
    return std::find(list.begin(), list.end(), peer) != list.end();
  };
  return holds(view.predecessors) || holds(view.successors) ||
         std::any_of(view.fingers.begin(), view.fingers.end(),
                     [&](const auto& f) { return f && *f == peer; });
}

std::vector<known_peer> membership_keeper::remembered_peers() const {
  if (options_.known_peers_file.empty()) return {};
  const auto& file = options_.known_peers_file;
  auto loaded = load_known_peers(file);
  for (const auto& warning : loaded.warnings) {
    logs.write(log_level::warning, file.string() + ": " + warning);
  }
  std::erase_if(loaded.peers, [this](const known_peer& p) { return p.node_id == node_.self(); });
  if (!loaded.peers.empty()) {
    logs.write(log_level::info, "dialling " + std::to_string(loaded.peers.size()) +
                                    " last-known peer(s) from " + file.string());
  }
  return loaded.peers;
}

void membership_keeper::remember_peers() {
  if (stopped_ || options_.known_peers_file.empty()) return;
  std::vector<known_peer> live;
  for (const auto& peer : node_.linked_peers()) {
    if (auto address = dialler_.listen_address(peer)) live.push_back({peer, *address});
  }
  std::sort(live.begin(), live.end(),
            [](const known_peer& a, const known_peer& b) { return a.node_id < b.node_id; });
  // A node that lost every link keeps its old hint rather than none; an
  // unchanged list is not rewritten every interval.
  if (live.empty() || live == last_remembered_) return;
  if (const auto failed = save_known_peers(options_.known_peers_file, live); !failed.empty()) {
    logs.write(log_level::warning, "last-known peers not saved: " + failed);
    return;
  }
  last_remembered_ = std::move(live);
}

void membership_keeper::seek_way_in(const std::vector<peer_address>& addresses) {
  for (const auto& where : addresses) {
    if (dialling_.insert(where.text()).second) dial_bootstrap(where, options_.first_retry_delay);
  }
}

// Dials a bootstrap peer, retrying until it answers or this node has a link
// (a peer dialled once joined is introduced: overlay merge); failures back
// off exponentially and are logged once per peer, so an unreachable peer
// does not fill the journal.
void membership_keeper::dial_bootstrap(const peer_address& where, overlay::duration next_delay) {
  if (stopped_) return;
  dialler_.dial_address(where, [this, where, next_delay](std::optional<wire::node_id> peer,
                                                         const std::string& failure) {
    if (stopped_) return;
    if (!peer) return retry_bootstrap(where, next_delay, failure);
    dialling_.erase(where.text());
    logs.write(log_level::info, "bootstrap " + where.text() + " is " + peer->hex());
    bootstrap_ids_.insert_or_assign(where.text(), *peer);
    bootstrap_peers_.insert(*peer);
    // Linked already (it dialled us first): no link-up will follow.
    use_linked_peer(*peer);
  });
}

void membership_keeper::retry_bootstrap(const peer_address& where, overlay::duration delay,
                                        const std::string& why) {
  if (bootstrap_failures_logged_.insert(where.text()).second) {
    logs.write(log_level::warning,
               "bootstrap " + where.text() + ": " + why + "; retrying with backoff");
  }
  after(delay, [this, where, delay] {
    // Once linked, the peer is not needed as a way in any more.
    if (needs_way_in()) {
      dial_bootstrap(where, std::min(delay * 2, options_.max_retry_delay));
    } else {
      dialling_.erase(where.text());
    }
  });
}

void membership_keeper::check() {
  if (dialler_.link_count() > 0) last_linked_ = timers_.now();
  keep_in_an_overlay();
  const auto now = timers_.now();
  if (now >= next_merge_probe_) {
    next_merge_probe_ = now + jittered(options_.merge_probe_interval);
    if (node_.state() == node_state::joined) probe_bootstrap_nodes();
  }
  // A crash (kill -9, power loss) skips the save at shutdown.
  if (now >= next_remember_) {
    next_remember_ = now + options_.remember_interval;
    remember_peers();
  }
  after(options_.check_interval, [this] { check(); });
}

overlay::duration membership_keeper::jittered(overlay::duration interval) {
  std::uniform_real_distribution<double> spread(0.75, 1.25);
  return std::chrono::duration_cast<overlay::duration>(interval * spread(jitter_));
}

// Links inside each side of a partition keep every node from needing a way
// in, so after healing nothing would dial across: a Ping routed to each
// bootstrap node's Node-ID shows whether it is still in this ring.
void membership_keeper::probe_bootstrap_nodes() {
  for (const auto& where : options_.bootstrap_nodes) {
    if (dialling_.contains(where.text())) continue;
    const auto known = bootstrap_ids_.find(where.text());
    if (known == bootstrap_ids_.end()) {
      seek_way_in({where});  // never reached: it may be up now
      continue;
    }
    const auto peer = known->second;
    if (peer == node_.self() || dialler_.connected(peer)) continue;
    node_.send_request(
        {wire::destination::node(peer)}, {wire::message_code::ping_req, wire::ping_req{}},
        [this, where, peer, alive = std::weak_ptr<bool>(alive_)](overlay::answer_result result) {
          if (alive.expired() || stopped_ || (result && result->responder == peer)) return;
          logs.write(log_level::info, "bootstrap " + where.text() +
                                          " is not in this ring: dialling it to merge");
          seek_way_in({where});
        });
  }
}

}  // namespace p2psip::bootstrap
