// Delivery of SIP between daemons (RFC 7904 §5) for p2psipd: the
// sip::node_channel the SIP front is given (see lib/sip/node_channel.hpp for
// the loopback bridging into nta).
//
// Outbound, open(node): an AppAttach (application 5060) to the node yields
// the host candidate of its application TLS listener; a mutually
// authenticated TLS stream is made to it (the node's identity certificate,
// the peer's certificate must carry the Node-ID dialled: the same
// tls_context and identity authenticator as overlay links), and a loopback
// TCP listener is bound for the front. Each connection nta makes to that
// listener is spliced to its own TLS stream to the node: the first takes
// the stream made to check reachability, later ones dial the candidate again.
// The listener and candidate are reused for every later open() to the node
// until a dial fails. Application data is raw SIP bytes (RFC 7904 §5.1: "as
// in normal SIP"), no RELOAD framing.
//
// Inbound: an application TLS listener on the node's listen address
// (ephemeral port, advertised in our AppAttachAns) accepts streams from
// peers the authenticator accepts; each is spliced to a new loopback TCP
// connection to the front's TCP endpoint.
//
// That is No-ICE (TLS-TCP-FH-NO-ICE host candidates), so a peer must be
// able to dial the candidate directly. In an ICE overlay (config
// `open_ice_stream` set) each stream is negotiated instead: the AppAttach
// carries ICE credentials and candidates (host, srflx, relay) both ways,
// exactly as Attach does (requester controlling and "passive", answerer
// controlled and "active"), and TLS runs over an ice_stream, PseudoTCP on
// the pair ICE selected, so SIP reaches a daemon behind any NAT. The
// answerer, being "active", is the TLS client. Why PseudoTCP (libnice's,
// as in its reliable mode): SIP over a TLS stream needs an ordered byte stream, ICE-TCP
// candidates do not get through a NAT that maps only UDP, and the DTLS-SR
// link's reliability carries RELOAD messages, not a byte stream.
//
// A dead peer: when a stream that carried the front's traffic is ended by
// the far side, the peer is AppAttached and dialled again at once (opens
// meanwhile wait for that answer); when it cannot be reached, the waiting
// opens fail and the on_unreachable handler learns the node is gone.
//
// A restarted peer: a request sent into a stream whose far end died without
// a word (an ICE stream shows that only by keepalive silence) would be lost
// with the stream. Each outbound splice keeps what the front sent until a
// pong to a ping sent after it proves the peer read it; when the stream
// breaks with bytes unconfirmed, the front's connection is kept and those
// bytes go first on a fresh stream to the node (a new AppAttach), so a call
// placed just after the peer restarted reaches its new process.
//
// Bounds: a splice that has more than `max_buffer` bytes queued towards
// either side, or whose TLS handshake does not finish in
// `handshake_timeout`, is closed on both sides. Ends propagate: EOF on one
// side sends close_notify (or FIN) to the other after what is queued.
//
// Threading: everything on the io_context's (overlay) thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "link/tcp_transport.hpp"
#include "link/tls_context.hpp"
#include "nat/ice_stream.hpp"
#include "overlay/overlay_node.hpp"
#include "sip/node_channel.hpp"

namespace p2psip::usage {

// RFC 7904 §5.1: "5060 to indicate SIP".
inline constexpr wire::application_id sip_application{5060};

struct sip_channel_config {
  // Where the application TLS listener binds (port 0) and what it
  // advertises: the node's listen address.
  boost::asio::ip::address listen_address = boost::asio::ip::address_v4::loopback();
  std::size_t max_buffer = std::size_t{256} * 1024;
  std::chrono::milliseconds handshake_timeout{10000};
  // An AppAttach not answered by then fails the open, so that a request to
  // a dead daemon is answered well within the phone's Timer F (32 s).
  std::chrono::milliseconds attach_timeout{3000};
  std::chrono::milliseconds close_linger{2000};
  // Keepalives between the daemons (see the splice in sip_channel.cpp): a
  // ping this often, and a stream that brought nothing for this long ends.
  std::chrono::milliseconds keepalive_interval{500};
  std::chrono::milliseconds keepalive_silence_limit{1500};
  // An ICE overlay: a stream with this ICE role and handlers (gathering
  // starts at once). Unset: No-ICE, host candidates dialled over TCP.
  std::function<std::shared_ptr<nat::ice_stream>(nat::ice_role, nat::ice_stream_handlers)>
      open_ice_stream;
};

struct sip_channel_stats {
  std::size_t peers = 0;    // nodes with a loopback listener
  std::size_t streams = 0;  // open splices, both directions
  std::uint64_t inbound_accepted = 0;
  std::uint64_t outbound_opened = 0;
  std::uint64_t failures = 0;  // AppAttach, dial or handshake failures
  // Broken streams whose unconfirmed front bytes went on a fresh stream.
  std::uint64_t resent = 0;
};

// One connection of the front to a peer's loopback listener, and what it
// sent that a broken stream to the peer never confirmed (sent first).
struct front_connection {
  explicit front_connection(std::shared_ptr<link::tcp_stream> s, std::vector<std::uint8_t> u = {},
                            unsigned r = 0)
      : stream(std::move(s)), unsent(std::move(u)), resends(r) {}
  std::shared_ptr<link::tcp_stream> stream;
  std::vector<std::uint8_t> unsent;
  unsigned resends = 0;  // how many broken streams it outlived already
};

class splice;

class sip_channel final : public sip::node_channel {
 public:
  // `node` and `tls` must outlive the channel.
  sip_channel(boost::asio::io_context& io, overlay::overlay_node& node,
              const link::tls_context& tls, sip_channel_config config = {});
  ~sip_channel() override;
  sip_channel(const sip_channel&) = delete;
  sip_channel& operator=(const sip_channel&) = delete;

  // Starts answering AppAttach for 5060; inbound streams are spliced to
  // `front`. No-ICE binds the application TLS listener first, and throws
  // boost::system::system_error when it cannot.
  void start(sip::stream_endpoint front);
  // Stops answering AppAttach, closes listeners and every stream.
  void stop();

  void open(const wire::node_id& peer,
            std::function<void(std::optional<sip::stream_endpoint>)> done) override;
  void on_unreachable(std::function<void(const wire::node_id&)> lost) override;

  sip_channel_stats stats() const;

 private:
  struct peer_entry {
    std::shared_ptr<link::tcp_listener> listener;  // loopback, for nta
    bool reachable = false;                        // a stream was established
    std::optional<boost::asio::ip::tcp::endpoint> candidate;  // No-ICE
    std::shared_ptr<splice> spare;  // established, waiting for nta's connection
    std::vector<std::function<void(std::optional<sip::stream_endpoint>)>> waiting;
    bool attaching = false;
  };

  using app_attach_done =
      std::function<void(std::optional<wire::app_attach_ans>, const std::string& why)>;
  // AppAttach (application 5060) to `peer` with `request`: `done` gets the
  // answer, or nullopt and why not, within attach_timeout.
  void send_app_attach(const wire::node_id& peer, wire::app_attach_req request,
                       app_attach_done done);
  // No-ICE AppAttach: `done` gets the first usable candidate of the answer,
  // or nullopt and why not.
  void request_candidate(
      const wire::node_id& peer,
      std::function<void(std::optional<boost::asio::ip::tcp::endpoint>, const std::string&)> done);
  // AppAttach and dial `peer` unless that is under way; opens wait for it.
  void attach(const wire::node_id& peer);
  // A splice ended: a peer whose stream carrying SIP broke is checked again.
  void splice_closed(splice& gone, const std::optional<wire::node_id>& peer);
  void attached(const wire::node_id& peer, std::optional<boost::asio::ip::tcp::endpoint> where,
                const std::string& why);
  // A stream for the front to `peer` is established (or not, and why).
  void adopt(const wire::node_id& peer, std::shared_ptr<splice> stream, const std::string& why);
  using stream_ready = std::function<void(std::shared_ptr<splice>, const std::string& why)>;
  // An ICE stream whose negotiation ended (`slot` emptied), out of
  // negotiating_; nullptr when it had ended already.
  std::shared_ptr<nat::ice_stream> take_negotiating(std::shared_ptr<nat::ice_stream>& slot);
  // ICE: AppAttach with our description, checks, TLS over the ice_stream.
  void ice_connect(const wire::node_id& peer, stream_ready done);
  // ICE: the answer to `peer`'s AppAttach, and its stream once checked.
  void ice_answer(const wire::node_id& peer, const wire::app_attach_req& request,
                  overlay::overlay_node::app_attach_reply reply);
  // An outbound stream (TCP dialled, or an ICE stream) wrapped in TLS:
  // `ready` gets it established, or nullptr and why.
  void splice_stream(std::shared_ptr<link::byte_stream> remote, bool tls_client,
                     std::optional<wire::node_id> expected, stream_ready ready);
  void fail_peer(const wire::node_id& peer, const std::string& why);
  // A TLS stream to `peer` at `where`; `on_ready` gets it established, or
  // nullptr when the dial or handshake failed.
  void dial(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& where,
            std::function<void(std::shared_ptr<splice>)> on_ready);
  void accept_local(const wire::node_id& peer, front_connection local);
  // A stream to `peer` broke with front bytes it did not confirm: `local`
  // goes on a fresh stream, those bytes first.
  void resend(const wire::node_id& peer, front_connection local);
  // Dials `where` for the front's connection `local`. When that fails and
  // `reattach` holds, the candidate may be stale (the node restarted, say):
  // AppAttach again and dial the new one, once, before giving up on the peer.
  void splice_local(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& where,
                    std::shared_ptr<front_connection> local, bool reattach);
  void accept_remote(std::shared_ptr<link::tcp_stream> remote);
  // An inbound stream (TCP accepted, or an answered AppAttach's ICE stream)
  // wrapped in TLS and spliced to a new connection to the front.
  void accept_stream(std::shared_ptr<link::byte_stream> remote, bool tls_client,
                     std::optional<wire::node_id> expected);
  // `outbound`: for our open()s (it sends the keepalive pings).
  std::shared_ptr<splice> make_splice(bool outbound, bool tls_client,
                                      std::optional<wire::node_id> expected);

  boost::asio::io_context& io_;
  overlay::overlay_node& node_;
  const link::tls_context& tls_;
  sip_channel_config config_;
  std::optional<boost::asio::ip::tcp::endpoint> front_;
  std::shared_ptr<link::tcp_listener> app_listener_;
  boost::asio::ip::tcp::endpoint advertised_;
  std::map<wire::node_id, peer_entry> peers_;
  std::set<std::shared_ptr<splice>> splices_;
  // ICE streams whose checks are under way, closed by stop().
  std::set<std::shared_ptr<nat::ice_stream>> negotiating_;
  sip_channel_stats stats_;
  std::function<void(const wire::node_id&)> on_unreachable_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::usage
