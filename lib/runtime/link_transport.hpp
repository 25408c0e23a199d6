// The overlay's message_transport on real TLS links: a link::connection_table
// carries the overlay_node's messages, and its events (a message from an
// authenticated Node-ID, a link up, a link down) are forwarded to the node.
//
// Attach (§6.5.1) carries one host candidate of type tls_tcp_fh_no_ice: this
// daemon's overlay listener. open_link() dials the first usable candidate of
// the peer's AttachAns.
//
// Bootstrap peers are known by address before their Node-ID is;
// dial_address() links to them and learns the Node-ID from the peer's
// authenticated certificate.
//
// Threading: everything runs on the io_context's thread, like the table's.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "link/connection_table.hpp"
#include "overlay/message_transport.hpp"

namespace p2psip::runtime {

// An address to advertise for a listener bound to `bound`: itself unless it
// is unspecified (0.0.0.0, ::), then the first non-loopback IPv4 address of
// an interface that is up, else 127.0.0.1.
boost::asio::ip::address advertised_address(const boost::asio::ip::address& bound);

// The host candidate (TLS over TCP, no ICE) of a listener at `endpoint`.
wire::ice_candidate host_candidate(const boost::asio::ip::tcp::endpoint& endpoint);

// The TCP endpoint of the first candidate a TLS-over-TCP link can use, or nullopt.
std::optional<boost::asio::ip::tcp::endpoint> first_usable_candidate(
    const wire::attach_req_ans& attach);

class link_transport final : public overlay::message_transport {
 public:
  struct observers {
    std::function<void(const wire::node_id&)> on_link_up;
    std::function<void(const wire::node_id&, const std::string& reason)> on_link_down;
  };

  // `context` must outlive the transport.
  link_transport(boost::asio::io_context& io, const link::tls_context& context,
                 const wire::node_id& self, link::link_config config);
  ~link_transport() override;
  link_transport(const link_transport&) = delete;
  link_transport& operator=(const link_transport&) = delete;

  // Where link events go; unset drops them. The overlay_node is constructed
  // with this transport, so it is connected afterwards.
  void set_events(overlay::transport_events* events) noexcept { events_ = events; }
  // For the daemon's own bookkeeping (events, bootstrap), after the node saw it.
  void set_observers(observers o) { observers_ = std::move(o); }

  // Binds the overlay listener; returns the bound endpoint (port 0: ephemeral),
  // which local_attach() advertises from now on.
  boost::asio::ip::tcp::endpoint listen(const boost::asio::ip::tcp::endpoint& endpoint);

  // Links to whoever listens at `endpoint`; `identified` gets its Node-ID
  // from its certificate just before on_link_up reports the link (or, when
  // that peer was linked already, instead of it), or nullopt when nobody
  // answered or the certificate was refused.
  void dial_address(const boost::asio::ip::tcp::endpoint& endpoint,
                    std::function<void(std::optional<wire::node_id>)> identified);
  // Links to a peer whose Node-ID is known (LAN discovery).
  void dial(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& endpoint);

  // --- overlay::message_transport -------------------------------------------
  bool send(const wire::node_id& to, std::vector<std::uint8_t> message) override;
  // No-ICE (§6.5.1.11): offer and answer are the listener's host candidate,
  // ready at once, and the offerer dials the answerer's.
  void offer_attach(
      std::function<void(overlay::attach_offer_id, wire::attach_req_ans)> ready) override;
  void answer_attach(const wire::node_id& peer, const wire::attach_req_ans& offer,
                     std::function<void(wire::attach_req_ans)> ready) override;
  void open_link(overlay::attach_offer_id offer, const wire::node_id& peer,
                 const wire::attach_req_ans& answer) override;
  void withdraw_offer(overlay::attach_offer_id) override {}
  void close_link(const wire::node_id& peer) override;
  std::size_t max_message_size(const wire::node_id& peer) const override;

  // Where this node's overlay listener is advertised (after listen()).
  std::optional<boost::asio::ip::tcp::endpoint> advertised() const { return advertised_; }
  // Where `peer` listens for direct TLS links (bootstrap, restarts), learned
  // other than from a No-ICE candidate (an ICE Attach's extension).
  void remember_listener(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& at) {
    listening_at_[peer].at = at;
  }
  // ICE (lib/nat's ice_transport) hands over each checked pair here: a
  // DTLS-UDP-SR link in `role` to `peer`, through the DTLS context set
  // before (none set: the path is dropped).
  void set_datagram_context(const link::tls_context& dtls) noexcept { dtls_ = &dtls; }
  void adopt_path(std::shared_ptr<link::datagram_path> path, link::tls_role role,
                  const wire::node_id& peer);
  // Told when a link stops answering (RFC 6940 §6.6.3.1: no ACK by the third
  // retransmission) and when ACKs resume; for ICE, which fails relayed links
  // over. Unset: nobody is told.
  using responsiveness_observer = std::function<void(const wire::node_id& peer, bool responsive)>;
  void set_responsiveness_observer(responsiveness_observer observer) {
    responsiveness_ = std::move(observer);
  }

  bool connected(const wire::node_id& peer) const { return table_.connected(peer); }
  std::size_t link_count() const noexcept { return table_.size(); }
  std::optional<link::link_stats> stats(const wire::node_id& peer) const {
    return table_.stats(peer);
  }
  std::optional<std::string> protocol(const wire::node_id& peer) const {
    return table_.protocol(peer);
  }
  // Where a linked `peer` listens for overlay links: the address this node
  // dialled it at, or the candidate its Attach offered; nullopt for a peer
  // that dialled in without attaching (its source port is not where it
  // listens).
  std::optional<boost::asio::ip::tcp::endpoint> listen_address(const wire::node_id& peer) const;
  // Whether this node dialled a linked `peer` at listen_address(): that
  // address is then reachable from here (no NAT in front of it), unlike one
  // an Attach only advertised.
  bool dialled(const wire::node_id& peer) const {
    const auto found = listening_at_.find(peer);
    return found != listening_at_.end() && found->second.dialled && table_.connected(peer);
  }
  // Closes every link and the listener (on the way out).
  void close_all() { table_.close_all(); }

 private:
  link::link_callbacks callbacks();
  wire::attach_req_ans local_attach() const;
  void link_up(const wire::node_id& peer);
  void link_down(const wire::node_id& peer, const std::string& reason);

  link::link_config config_;
  link::connection_table table_;
  const link::tls_context* dtls_ = nullptr;
  overlay::transport_events* events_ = nullptr;
  observers observers_;
  responsiveness_observer responsiveness_;
  std::optional<boost::asio::ip::tcp::endpoint> advertised_;
  // For the last-known peers file: where each peer listens.
  struct listener {
    boost::asio::ip::tcp::endpoint at;
    bool dialled = false;  // this node reached it there itself
  };
  std::map<wire::node_id, listener> listening_at_;
};

}  // namespace p2psip::runtime
