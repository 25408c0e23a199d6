// TURN relays with fresh credentials for ICE agents (RFC 6940 §9 and the
// overlay credential exchange of p2psipd(8)): finds relays through
// TURN-SERVICE, asks up to `wanted` of them for credentials by AppAttach,
// and asks again before the credentials expire. Each relay is offered to
// agents over UDP and over TCP (the relay's port serves both), so that a
// node behind a firewall that drops UDP still gets a relayed candidate.
//
// Threading: the overlay's thread, like the turn_service it uses.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "nat/ice_agent.hpp"
#include "nat/turn_service.hpp"

namespace p2psip::nat {

class relay_pool {
 public:
  using unix_seconds = std::function<std::int64_t()>;

  // `self` is never asked (this node's own relay is no use to its agents).
  relay_pool(turn_service& service, const wire::node_id& self, unix_seconds now,
             std::size_t wanted = 2);
  ~relay_pool();
  relay_pool(const relay_pool&) = delete;
  relay_pool& operator=(const relay_pool&) = delete;

  // Drops credentials about to expire and, unless enough are held or a
  // round is under way, asks `direct` first (peers this node reaches
  // directly, its bootstrap nodes say: those that run no relay refuse),
  // then the relays TURN-SERVICE finds. Call it now and then (the daemon's
  // housekeeping), joining too: a node behind a firewall that drops UDP is
  // reached only through a relay, and until it is, its view of the ring is
  // wrong and TURN-SERVICE finds nothing for it.
  void refresh(const std::vector<wire::node_id>& direct = {});
  // Asks each of `direct` for credentials now (those held or this node
  // skipped); `answered` runs once every one asked has answered, at once
  // when none was.
  void ask_now(const std::vector<wire::node_id>& direct, std::function<void()> answered);
  std::size_t held() const noexcept { return held_.size(); }
  std::size_t wanted() const noexcept { return wanted_; }
  // Lets go of the relays at `host` (a relayed link through one stopped
  // answering): their credentials go, TURN-SERVICE's cache forgets them
  // until a find sees them again, and agents made from now on leave them
  // out. Returns how many were held.
  std::size_t drop_at(const boost::asio::ip::address& host);
  // For an agent: every held relay, UDP then TCP.
  std::vector<turn_relay> relays() const;

 private:
  struct credentials_held {
    wire::node_id node;
    transport_address server;
    std::string username;
    std::string password;
    std::int64_t expiry;
  };

  void ask_found(const std::vector<found_relay>& found);
  // Asks `node` for credentials unless they are held already; `then` (if
  // set) runs after the answer, and at once when nothing was asked.
  void ask(const wire::node_id& node, std::function<void()> then = {});
  // A relay this node could ask: another node's, credentials not held.
  bool usable(const found_relay& relay) const;
  bool holds(const wire::node_id& node) const;
  void take(const wire::node_id& node, const overlay_turn_credentials& credentials);

  turn_service& service_;
  wire::node_id self_;
  unix_seconds now_;
  std::size_t wanted_;
  std::vector<credentials_held> held_;
  std::size_t waiting_ = 0;  // finds and credential requests under way

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::nat
