// How a node gets into an overlay and stays in one: it dials its bootstrap
// nodes and last-known peers (backing off while they do not answer), joins
// through the first linked peer, starts an overlay of its own when nobody
// is there, and introduces peers found once joined to the topology, since
// they may be in another ring (overlay merge). A node whose ring empties
// goes on in an overlay of its own, and one left without links dials its
// way back in the same way. A joined node also checks now and then that its
// bootstrap nodes are in its own ring, so that the two sides of a healed
// partition merge. It also keeps the last-known peers file.
//
// Time comes from an injected timer_service and links from a peer_dialler,
// so the policy runs the same on Asio and TLS as in the simulator.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bootstrap/known_peers.hpp"
#include "bootstrap/peer_dialler.hpp"
#include "overlay/overlay_node.hpp"
#include "overlay/timer_service.hpp"

namespace p2psip::bootstrap {

struct membership_options {
  std::vector<peer_address> bootstrap_nodes;
  // Empty: no last-known peers are read or written.
  std::filesystem::path known_peers_file;
  // LAN discovery runs, so a node without bootstrap peers waits for it.
  bool discovery = false;
  // How long the node waits for a way in before it starts an overlay of its own.
  overlay::duration bootstrap_wait = std::chrono::seconds(5);
  overlay::duration first_retry_delay = std::chrono::seconds(1);
  overlay::duration max_retry_delay = std::chrono::seconds(60);
  // Joined with no live link for this long is reported as isolated.
  overlay::duration isolation_after = std::chrono::seconds(30);
  overlay::duration remember_interval = std::chrono::seconds(30);
  overlay::duration check_interval = std::chrono::seconds(1);
  // How often (±25%) a joined node Pings each bootstrap node's Node-ID
  // through its ring, and dials and introduces one the Ping does not reach.
  overlay::duration merge_probe_interval = std::chrono::seconds(30);
  // Called before joining through a linked peer; the join starts when it
  // calls its argument (unset: at once). With ICE, TURN credentials from
  // the peers already linked make the join's first Attach reachable from
  // behind a firewall that drops UDP.
  std::function<void(std::function<void()> join)> before_join;
};

class membership_keeper {
 public:
  // All four must outlive the keeper.
  membership_keeper(overlay::overlay_node& node, overlay::timer_service& timers,
                    peer_dialler& dialler, membership_options options);
  ~membership_keeper();
  membership_keeper(const membership_keeper&) = delete;
  membership_keeper& operator=(const membership_keeper&) = delete;

  // Dials the bootstrap nodes and last-known peers, or starts a new overlay
  // when there are none and no discovery either.
  void start();
  // On the way out: saves the last-known peers (while the links are still
  // up) and silences every timer.
  void stop();

  // A bootstrap node listed on reload, dialled now: a way in while alone, a
  // possible other ring to merge with once joined.
  void add_bootstrap_node(const peer_address& where);

  // --- what the daemon reports to it ----------------------------------------
  void link_up(const wire::node_id& peer);
  void link_down(const wire::node_id& peer);
  // LAN discovery heard `peer` announce that it listens at `where`.
  void discovered(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& where);

  // Joined, but without a live link for a while.
  bool isolated() const;
  // Writes the last-known peers file when the linked peers changed.
  void remember_peers();

 private:
  std::vector<known_peer> remembered_peers() const;
  void use_linked_peer(const wire::node_id& peer);
  bool in_routing_tables(const wire::node_id& peer) const;
  // Dials each address with its own backoff, unless it is being dialled.
  void seek_way_in(const std::vector<peer_address>& addresses);
  void dial_bootstrap(const peer_address& where, overlay::duration next_delay);
  void retry_bootstrap(const peer_address& where, overlay::duration delay, const std::string& why);
  void start_alone_unless_joined();
  // The bootstrap nodes and the last-known peers.
  std::vector<peer_address> ways_in() const;
  bool needs_way_in() const;
  void keep_in_an_overlay();
  void check();
  // The merge probe: each bootstrap node not linked and not reached by a
  // Ping through the ring is dialled, and introduced once linked.
  void probe_bootstrap_nodes();
  overlay::duration jittered(overlay::duration interval);
  // Schedules `callback` unless stopped; stop() cancels what is pending.
  void after(overlay::duration delay, std::function<void()> callback);

  overlay::overlay_node& node_;
  overlay::timer_service& timers_;
  peer_dialler& dialler_;
  membership_options options_;
  std::set<wire::node_id> bootstrap_peers_;
  // Who answered at each bootstrap address (by peer_address::text()).
  std::map<std::string, wire::node_id> bootstrap_ids_;
  overlay::time_point next_merge_probe_{};
  std::minstd_rand jitter_{std::random_device{}()};
  std::set<std::string> bootstrap_failures_logged_;
  std::optional<overlay::time_point> last_linked_;
  overlay::time_point next_remember_{};
  std::vector<known_peer> last_remembered_;
  // Addresses with a dial or a backoff under way.
  std::set<std::string> dialling_;
  bool ever_joined_ = false;
  std::optional<overlay::time_point> rejoining_since_;
  std::set<overlay::timer_id> pending_timers_;
  bool stopped_ = false;
  // Answers that arrive after destruction see this expire and do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool join_pending_ = false;  // before_join runs
};

}  // namespace p2psip::bootstrap
