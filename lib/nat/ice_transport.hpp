// The overlay's message_transport with full ICE behind Attach (RFC 6940
// §6.5.1.3): messages, link closes and sizes go to the link_transport it
// wraps, and each Attach gets an ice_agent of its own. The offerer (the
// Attach request's sender) is ICE-controlling and the DTLS server; the
// answerer is controlled and the DTLS client (§6.5.1.9, §6.5.1.13). When the
// checks select a pair, the link_transport adopts it as a DTLS-UDP-SR link,
// with the same identity checks as every link.
//
// Candidates: host ones on the configured addresses, server-reflexive ones
// from a STUN server (a linked peer, §6.5.1.4), and relayed ones from TURN
// relays (TURN-SERVICE, §9); both come from providers asked afresh for
// every agent. Bootstrap links stay direct TLS (§11.4): the link_transport
// dials those itself.
//
// Threading: the io_context's thread, the overlay's; libnice runs on the
// glib_loop_thread, which must outlive this transport.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "nat/glib_loop_thread.hpp"
#include "nat/ice_agent.hpp"
#include "nat/ice_path.hpp"
#include "overlay/message_transport.hpp"
#include "runtime/link_transport.hpp"

namespace p2psip::nat {

struct ice_transport_config {
  // This node: crossed Attaches keep the negotiation offered by the larger
  // Node-ID, the same choice on both sides.
  wire::node_id self;
  // Host candidates on these addresses only; empty: every interface.
  std::vector<boost::asio::ip::address> local_addresses;
  // Asked per agent: a STUN server (a linked peer), and TURN relays with
  // credentials. Unset or empty: none.
  std::function<std::optional<transport_address>()> stun_server;
  std::function<std::vector<turn_relay>()> relays;
  // Whether UDP gets out, when known. Blocked (a firewall): agents ask no
  // STUN server and only TURN over TCP, whose answers alone come back.
  // Open: TURN over UDP only, half the allocations. Unknown: both.
  std::function<std::optional<bool>()> udp_blocked;
  // Whether this node's NAT maps endpoint-independently (RFC 4787 §4.1; no
  // NAT counts), when known. With UDP open too, agents gather no relayed
  // candidate: the server-reflexive one reaches every peer whose own NAT
  // lets checks through, and a peer behind a symmetric NAT or a firewall
  // that drops UDP brings a relayed candidate of its own. Gathering is then
  // one STUN transaction instead of two TURN ones per relay, and relays'
  // allocations go to the nodes that need them.
  std::function<std::optional<bool>()> mapping_independent;
  // From the Attach to a checked pair; the overlay gives an Attach's link
  // 5 reliability timers (15 s by default) to come up.
  std::chrono::milliseconds connect_limit{12'000};
  // A relayed link that stopped answering (RFC 6940 §6.6.3.1: no ACK by the
  // third retransmission) or whose ICE path failed fails over: the relay
  // behind it is presumed gone, so `relay_lost` gets the address of each
  // relay on its pair, for new agents to leave out; the link is closed, and
  // `relink` asked to Attach to the peer afresh (§6.5.1.13: RELOAD has no
  // ICE restart). Unset: the link runs its course (closed after the last
  // retransmission) and nobody attaches.
  std::function<void(const boost::asio::ip::address& relay)> relay_lost;
  std::function<void(const wire::node_id& peer)> relink;
};

struct ice_transport_counters {
  std::uint64_t offers = 0;
  std::uint64_t answers = 0;
  std::uint64_t paths = 0;     // pairs handed to the link layer
  std::uint64_t failures = 0;  // agents that failed before a pair
  std::uint64_t failovers = 0;  // relayed links lost and attached afresh
  // Pairs handed over, by the type of this side's candidate (host, srflx,
  // prflx, relay: ice_candidate_type's order).
  std::array<std::uint64_t, 4> selected_by_local_type{};
};

class ice_transport final : public overlay::message_transport {
 public:
  ice_transport(boost::asio::io_context& io, glib_loop_thread& loop,
                runtime::link_transport& links, ice_transport_config config);
  ~ice_transport() override;
  ice_transport(const ice_transport&) = delete;
  ice_transport& operator=(const ice_transport&) = delete;

  bool send(const wire::node_id& to, std::vector<std::uint8_t> message) override {
    return links_.send(to, std::move(message));
  }
  void offer_attach(
      std::function<void(overlay::attach_offer_id, wire::attach_req_ans)> ready) override;
  void answer_attach(const wire::node_id& peer, const wire::attach_req_ans& offer,
                     std::function<void(wire::attach_req_ans)> ready) override;
  void open_link(overlay::attach_offer_id offer, const wire::node_id& peer,
                 const wire::attach_req_ans& answer) override;
  void withdraw_offer(overlay::attach_offer_id offer) override;
  // A relayed link the overlay closes for want of answers (§10.7.1 failure
  // detection) fails over as one that stopped ACKing does; others just close.
  void close_link(const wire::node_id& peer) override;
  std::size_t max_message_size(const wire::node_id& peer) const override {
    return links_.max_message_size(peer);
  }

  const ice_transport_counters& counters() const noexcept { return counters_; }
  // The pair the link to `peer` runs on, while that path lives.
  std::optional<ice_selected_pair> pair_with(const wire::node_id& peer) const;
  // The TURN servers behind this node's relayed candidates on the links'
  // selected pairs, once each. A relay that died is otherwise noticed only
  // when consent expires (10 s without answers), so the owner asks each for
  // a Binding now and then and reports one that stops answering.
  std::vector<transport_address> relay_servers_in_use() const;
  // Every link whose pair goes through a relay at `relay` fails over now.
  void relay_unreachable(const boost::asio::ip::address& relay);
  std::size_t agents() const noexcept { return offers_.size() + answers_.size(); }
  // An agent's configuration from the same candidate sources as links (a
  // STUN server, relays, the UDP verdict): for an AppAttach's ice_stream,
  // and the media anchor's agents.
  ice_agent_config agent_config(ice_role role) const;
  glib_loop_thread& loop() const noexcept { return loop_; }

 private:
  // An agent and its path until the checks end: a pair goes to the link
  // layer, a failure ends it here.
  struct negotiation {
    std::shared_ptr<ice_path> path;
    std::optional<wire::node_id> peer;  // known once answered (offers)
    // What the overlay waits for, called once: the gathered description, or
    // nullptr when gathering failed (an empty body then goes out, and the
    // overlay's own timeout ends the attempt).
    std::function<void(const ice_description*)> gathered;
  };
  using negotiation_map = std::map<std::uint64_t, negotiation>;

  // Starts gathering for entry `key` of `table`, the agent's handlers routed
  // to its path; a selected pair goes to the link layer in `dtls_role`.
  void start_agent(ice_role role, link::tls_role dtls_role, negotiation_map& table,
                   std::uint64_t key, negotiation started);
  std::optional<std::uint16_t> listen_port() const;
  // The entry of `table` negotiating with `peer`, or its end.
  static negotiation_map::const_iterator with_peer(const negotiation_map& table,
                                                   const wire::node_id& peer);
  // Whether checks with `peer` are under way (an answered offer, an answer).
  bool negotiating_with(const wire::node_id& peer) const;
  // Ends entry `key` of `table` without a pair; an answer still gathering
  // goes out empty.
  void drop(negotiation_map& table, std::uint64_t key);
  void on_gathered(negotiation_map& table, std::uint64_t key, const ice_description* local);
  void on_checked(negotiation_map& table, std::uint64_t key, link::tls_role dtls_role);
  void on_failed(negotiation_map& table, std::uint64_t key, ice_failure why);
  // The link to `peer` stopped answering, or the path `lost` under a link
  // failed: fails the link over when its pair is relayed (relay_lost, relink)
  // and says whether it did.
  bool on_link_trouble(const wire::node_id& peer, const std::string& why);
  void on_path_lost(const std::shared_ptr<ice_path>& lost, ice_failure why);

  boost::asio::io_context& io_;
  glib_loop_thread& loop_;
  runtime::link_transport& links_;
  ice_transport_config config_;
  std::uint64_t last_key_ = 0;
  negotiation_map offers_;   // by attach_offer_id
  negotiation_map answers_;  // by a key of their own
  std::map<wire::node_id, std::weak_ptr<ice_path>> handed_over_;  // for pair_with()
  ice_transport_counters counters_;
  // Lets agent handlers already posted see that the transport is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::nat
