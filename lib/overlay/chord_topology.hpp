// CHORD-RELOAD (RFC 6940 §10) as the overlay's topology plug-in: the join
// sequence, Update-based stabilization with reactive repair, finger
// maintenance, Leave, RouteQuery and Probe, with RFC 7363 self-tuning sizing
// the stabilization interval and the tables.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "overlay/overlay_node.hpp"
#include "overlay/routing_table.hpp"
#include "overlay/self_tuning.hpp"
#include "overlay/topology_plugin.hpp"
#include "wire/chord.hpp"

namespace p2psip::overlay {

class chord_topology final : public topology_plugin {
 public:
  explicit chord_topology(overlay_node& node);

  bool is_responsible(const node_id& key) const override;
  bool isolated() const override;
  std::optional<node_id> next_hop(const node_id& key) const override;
  std::optional<node_id> next_hop_avoiding(const node_id& key,
                                           std::span<const node_id> avoid) const override;
  std::vector<node_id> replica_peers() const override;
  bool in_replica_set(const node_id& key) const override;
  std::optional<node_id> responsible_peer(const node_id& key) const override;

  void start_new_overlay() override;
  void join(const node_id& bootstrap) override;
  void introduce(const node_id& peer) override;
  void leave(std::function<void()> done) override;

  bool needs_link(const node_id& peer) const override;
  void on_link_up(const node_id& peer) override;
  void on_link_down(const node_id& peer) override;
  void on_update_requested(const node_id& peer) override;

  bool handles(wire::message_code code) const override;
  void on_request(const incoming_request& request, responder reply) override;

  topology_view view() const override;

  const routing_table& table() const noexcept { return table_; }
  bool joined() const noexcept { return joined_; }
  duration stabilization_interval() const noexcept { return interval_; }
  // For Probe's num_resources (§6.4.2): the storage layer's count.
  void set_resource_counter(std::function<std::uint32_t()> counter) {
    resource_counter_ = std::move(counter);
  }

 private:
  enum class update_kind { neighbors, full };

  // Join (§10.5), from the Attach to the admitting peer to the Join itself.
  void begin_join();
  void attach_to_neighbors_of(const node_id& admitting, const wire::chord_update& update);
  void attach_fingers();
  // Links the holder of `point` as a finger: Ping, then Attach if unlinked.
  void seek_finger(const node_id& point);
  void send_join();
  void join_failed();
  void become_joined();

  // Enters a linked peer into the tables; reacts if the neighbours changed.
  void add_peer(const node_id& peer);
  // Takes a peer a finger Attach found into the tables, or closes the link
  // that Attach opened (since `asked`) when no table wants the peer.
  void keep_or_close(const node_id& peer, time_point asked);
  // Forgets a failed or departed peer (§10.7.1, §10.7.2).
  enum class departure { failed, left };
  void remove_peer(const node_id& peer, departure how);
  // Attaches to `peer` through `via` (source-routed, §10.6) unless linked or
  // already being attached; the peer enters the tables when the link is up.
  void attach_peer(const node_id& peer, const std::optional<node_id>& via,
                   std::function<void(bool)> done = {});
  // Takes in the peers an Update or Leave names (§10.7.3).
  void consider_peers(const std::vector<node_id>& peers, const node_id& via, bool as_fingers);
  void neighbors_changed(bool range_changed);
  void send_update(const node_id& peer, update_kind kind);
  wire::chord_update make_update(update_kind kind) const;
  std::vector<node_id> neighbor_set() const;

  void schedule_stabilization();
  void stabilize();
  // Whom a stabilization round sends Updates to.
  std::vector<node_id> stabilization_targets() const;
  // RFC 7363 §6: the estimates, table sizes and interval for the next period.
  void retune();
  void refresh_finger();

  void handle_update(const incoming_request& request, responder& reply);
  void handle_join(const incoming_request& request, responder& reply);
  void handle_leave(const incoming_request& request, responder& reply);
  void handle_route_query(const incoming_request& request, responder& reply);
  void handle_probe(const incoming_request& request, responder& reply);

  overlay_node& node_;
  routing_table table_;
  self_tuning tuning_;
  time_point started_;
  bool joined_ = false;
  bool leaving_ = false;
  // The last neighbour failed while this node was joined (see isolated()).
  bool lost_ring_ = false;
  std::optional<node_id> bootstrap_;
  std::optional<node_id> admitting_;
  std::size_t join_attaches_pending_ = 0;
  bool join_sent_ = false;
  std::uint32_t join_attempt_ = 0;  // tells stale join timers from the current one
  // Attaches this node started: their peers enter the tables once linked.
  std::unordered_set<node_id> attaching_;
  std::unordered_set<node_id> wanted_;
  // Peers that asked (Attach send_update) for our tables once linked.
  std::unordered_set<node_id> update_requested_;
  // When each routing-table peer started, from the uptime its Updates carry
  // (else when it was first linked): RFC 7363 §6.4's ages.
  std::unordered_map<node_id, time_point> peer_started_;
  // Who hears the Updates the next flush sends: ordered, the wider wins.
  enum class update_audience { none, neighbors, connections };
  update_audience pending_audience_ = update_audience::none;
  duration interval_;
  time_point last_finger_refresh_{};
  std::function<std::uint32_t()> resource_counter_;
};

}  // namespace p2psip::overlay
