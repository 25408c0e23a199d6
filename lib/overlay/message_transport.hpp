// Injected I/O. The overlay core owns no sockets: it sends encoded messages
// to neighbours through a message_transport, and whoever owns the links (the
// link layer's connection table in the daemon, the simulated network in the
// simulator) reports arrivals and link changes through transport_events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wire/attach.hpp"
#include "wire/ids.hpp"

namespace p2psip::overlay {

using wire::node_id;

class message_transport {
 public:
  virtual ~message_transport() = default;
  // Queues one encoded message for the neighbour `to`. False when there is no
  // link to it, so the caller can fail over at once; true promises nothing
  // about delivery.
  virtual bool send(const node_id& to, std::vector<std::uint8_t> message) = 0;

  // What this node offers in an Attach (§6.5.1): its candidates and ICE
  // credentials. The overlay only carries them, and sets the role (§6.5.1.2).
  virtual wire::attach_req_ans local_attach() = 0;
  // Opens a link to `peer` from the Attach it answered; success is reported
  // by on_link_up, failure by silence (the overlay times the attempt out).
  virtual void open_link(const node_id& peer, const wire::attach_req_ans& remote) = 0;
  // A peer asked to attach with `offer`: where it listens, for dialling it
  // back later (a restart) although it dialled this node.
  virtual void peer_offered(const node_id& /*peer*/, const wire::attach_req_ans& /*offer*/) {}
  // Closes a link this node no longer needs; on_link_down follows.
  virtual void close_link(const node_id& peer) = 0;
  // The largest message the link to `peer` carries whole; bigger ones are
  // fragmented (§6.7).
  virtual std::size_t max_message_size(const node_id& peer) const = 0;
};

class transport_events {
 public:
  virtual void on_message(const node_id& from, std::span<const std::uint8_t> message) = 0;
  virtual void on_link_up(const node_id& peer) = 0;
  virtual void on_link_down(const node_id& peer) = 0;
  // Nothing crossed the link for a while: the link layer wants traffic on
  // it, so that a dead peer is noticed. Transports that need none never call.
  virtual void on_link_idle(const node_id& /*peer*/) {}

 protected:
  ~transport_events() = default;  // never owned through this interface
};

}  // namespace p2psip::overlay
