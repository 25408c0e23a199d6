// The Topology Plug-in (RFC 6940 §5.1.3, §10): what the overlay asks of the
// geometry. The node routes, signs, retransmits and dispatches; the plugin
// decides who is responsible, where a message goes next, and runs the
// overlay-maintenance messages (Join, Update, Leave, RouteQuery, Probe).
// CHORD-RELOAD is the first implementation.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "overlay/request.hpp"

namespace p2psip::overlay {

// A snapshot of the tables, for the control plane and the simulator.
struct topology_view {
  std::vector<node_id> predecessors;  // nearest first
  std::vector<node_id> successors;    // nearest first
  std::vector<std::optional<node_id>> fingers;
};

class topology_plugin {
 public:
  virtual ~topology_plugin() = default;

  // §6.1: whether `key` is this node's to answer.
  virtual bool is_responsible(const node_id& key) const = 0;
  // Whether this node lost its overlay: joined, it had neighbours, and the
  // last of them failed rather than left (a freeze, a partition, a crash
  // around it). Such a node goes on as the whole of what it can reach: it
  // keeps what it holds and takes new Stores, but cannot tell whether a
  // value it lacks exists elsewhere, so a miss must not be reported as
  // absent; requests to other nodes fail at once. It stops being isolated
  // when it has neighbours again or deliberately starts an overlay of its
  // own. A node alone since it started its overlay, or whose last neighbour
  // left gracefully (handing its data over), is authoritative.
  virtual bool isolated() const = 0;
  // The connected peer to forward to; nullopt when none is known.
  virtual std::optional<node_id> next_hop(const node_id& key) const = 0;
  // The best next hop other than those in `avoid`: retransmissions try
  // another path, since an undetected dead peer swallows every copy sent
  // the same way (§6.2.1 allows routing around suboptimally).
  virtual std::optional<node_id> next_hop_avoiding(const node_id& key,
                                                   std::span<const node_id> avoid) const = 0;
  // The peers that hold replicas of what this node is responsible for.
  virtual std::vector<node_id> replica_peers() const = 0;
  // Whether this node should keep data stored at `key` (responsible or replica).
  virtual bool in_replica_set(const node_id& key) const = 0;
  // The responsible peer for `key` when the tables show it; nullopt otherwise.
  virtual std::optional<node_id> responsible_peer(const node_id& key) const = 0;

  // Starts a new overlay alone (no one to join).
  virtual void start_new_overlay() = 0;
  // Joins through `bootstrap`, a peer this node already has a link to.
  virtual void join(const node_id& bootstrap) = 0;
  // Overlay merge: makes a linked peer that may belong to another ring (two
  // nodes that started overlays alone, then found each other) known to this
  // joined node, so stabilization merges the rings. Nothing unless joined
  // and linked to `peer`.
  virtual void introduce(const node_id& peer) = 0;
  // Says goodbye to the neighbours (Leave) and calls `done` when they have
  // answered or timed out.
  virtual void leave(std::function<void()> done) = 0;

  // Whether this node routes over its link to `peer` (the peer is in its
  // tables) or awaits the link for an Attach of its own. A joined node keeps
  // idle links it needs alive with Pings and closes those nobody needs.
  virtual bool needs_link(const node_id& peer) const = 0;

  virtual void on_link_up(const node_id& peer) = 0;
  virtual void on_link_down(const node_id& peer) = 0;
  // Called when an Attach with send_update came from `peer` (§6.5.1).
  virtual void on_update_requested(const node_id& peer) = 0;

  // Whether the plugin answers requests with this code.
  virtual bool handles(wire::message_code code) const = 0;
  virtual void on_request(const incoming_request& request, responder reply) = 0;

  virtual topology_view view() const = 0;
};

}  // namespace p2psip::overlay
