// Injected I/O. The overlay core owns no sockets: it sends encoded messages
// to neighbours through a message_transport, and whoever owns the links (the
// link layer's connection table in the daemon, the simulated network in the
// simulator) reports arrivals and link changes through transport_events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "wire/attach.hpp"
#include "wire/ids.hpp"

namespace p2psip::overlay {

using wire::node_id;

// What a transport gathered for one Attach this node offered (an ICE agent,
// say), until the answer opens the link or the attempt is given up.
enum class attach_offer_id : std::uint64_t {};

class message_transport {
 public:
  virtual ~message_transport() = default;
  // Queues one encoded message for the neighbour `to`. False when there is no
  // link to it, so the caller can fail over at once; true promises nothing
  // about delivery.
  virtual bool send(const node_id& to, std::vector<std::uint8_t> message) = 0;

  // §6.5.1 in two halves, since gathering what an Attach carries (ICE
  // candidates from STUN servers and relays) may take a round trip or more.
  // Each `ready` runs exactly once, at once or later, on the node's thread.
  // The overlay only carries the bodies, and sets the role (§6.5.1.2).
  //
  // The offerer's half: what this node offers in an Attach request. The
  // transport keeps what it gathered for it under the id until open_link()
  // or withdraw_offer().
  virtual void offer_attach(std::function<void(attach_offer_id, wire::attach_req_ans)> ready) = 0;
  // The answerer's half: `peer` offered `offer`; gathers this node's answer
  // and readies the link toward the offer (ICE checks start here).
  virtual void answer_attach(const node_id& peer, const wire::attach_req_ans& offer,
                             std::function<void(wire::attach_req_ans)> ready) = 0;
  // Opens the link of offer `id` from the peer's answer; success is reported
  // by on_link_up, failure by silence (the overlay times the attempt out).
  virtual void open_link(attach_offer_id id, const node_id& peer,
                         const wire::attach_req_ans& answer) = 0;
  // The offer got no answer worth a link: release what it holds.
  virtual void withdraw_offer(attach_offer_id id) = 0;
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
