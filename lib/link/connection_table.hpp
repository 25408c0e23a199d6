// The overlay's view of its links: one TLS link per peer Node-ID, over TCP.
// Owns the listener, the links and their timers; reports links coming up,
// going down and changing responsiveness, and hands over whole messages.
//
// Threading: construct, call and destroy on the io_context's thread (the
// overlay thread); every callback runs there too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "link/datagram_path.hpp"
#include "link/link_config.hpp"
#include "link/link_stats.hpp"
#include "link/tcp_transport.hpp"
#include "link/tls_context.hpp"
#include "link/tls_link.hpp"
#include "wire/ids.hpp"

namespace p2psip::link {

struct link_callbacks {
  std::function<void(const wire::node_id& peer)> on_link_up;
  // Also reported for a connect() that never came up.
  std::function<void(const wire::node_id& peer, const std::string& reason)> on_link_down;
  // §6.6.5: unresponsive links leave the Routing Table until ACKs resume.
  std::function<void(const wire::node_id& peer, bool responsive)> on_link_responsiveness;
  std::function<void(const wire::node_id& peer, std::vector<std::uint8_t> message)> on_message;
  // When set, called for an idle link instead of sending an empty keepalive
  // frame, so the overlay can send a Ping instead.
  std::function<void(const wire::node_id& peer)> on_keepalive_due;
};

class connection_table final : private overlay_link::observer {
 public:
  // local identifies this node for the duplicate-link tie-break.
  connection_table(boost::asio::io_context& io, const tls_context& context,
                   const wire::node_id& local, link_config config, link_callbacks callbacks);
  ~connection_table();
  connection_table(const connection_table&) = delete;
  connection_table& operator=(const connection_table&) = delete;

  // Accepts inbound links; returns the bound endpoint (port 0: ephemeral).
  boost::asio::ip::tcp::endpoint listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Opens a link to the peer whose certificate must carry `peer`.
  void connect(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& endpoint);
  // The Node-ID a link opened by address is filed under, or nullopt with the
  // reason nobody authenticated there.
  using identified_handler =
      std::function<void(std::optional<wire::node_id> peer, const std::string& reason)>;
  // Opens a link to whoever listens at `endpoint` (a bootstrap address, say),
  // whose Node-ID is not known yet: the authenticator still judges the
  // certificate, and the link is filed under the first Node-ID it carries.
  // `identified` runs once, before on_link_up, so the caller knows the peer
  // when the link comes up; if a link to that peer was up already, the
  // duplicate-link rule applies and no second on_link_up follows.
  void connect_to_address(const boost::asio::ip::tcp::endpoint& endpoint,
                          identified_handler identified);
  // A DTLS-UDP-SR link (RFC 6940 §6.6.4) over `path`, a pair ICE checked:
  // the peer's certificate must carry `peer`. `dtls` serves
  // tls_transport::datagram and must outlive the table.
  void adopt_path(std::shared_ptr<datagram_path> path, const tls_context& dtls, tls_role role,
                  const wire::node_id& peer);
  send_result send(const wire::node_id& peer, std::vector<std::uint8_t> message);
  void close(const wire::node_id& peer);
  // Stops listening and closes every link cleanly.
  void close_all();

  bool connected(const wire::node_id& peer) const { return by_peer_.contains(peer); }
  std::optional<link_stats> stats(const wire::node_id& peer) const;
  // The link's protocol and cipher ("DTLSv1.2 ...", "TLSv1.3 ..."); nullopt
  // without a link.
  std::optional<std::string> protocol(const wire::node_id& peer) const;
  // The largest message the link to `peer` takes whole (a DTLS link's is
  // below its path MTU); nullopt without a link.
  std::optional<std::size_t> max_message_size(const wire::node_id& peer) const;
  std::size_t size() const noexcept { return by_peer_.size(); }

 private:
  void adopt(std::shared_ptr<tcp_stream> stream, tls_role role,
             std::optional<wire::node_id> expected, identified_handler identified = nullptr);
  identified_handler take_identified_handler(const overlay_link& link);
  void schedule_tick();
  void reap();
  const wire::node_id* registered_id(const overlay_link& link) const;
  // The peer whose messages `link` carries: the registered link's, or a
  // draining one's.
  std::optional<wire::node_id> delivering_id(overlay_link& link) const;
  bool keeps_existing(const overlay_link& existing, const wire::node_id& peer) const;
  void drain_then_close(overlay_link& link);
  void close_drained();

  void on_link_established(overlay_link& link) override;
  void on_link_message(overlay_link& link, std::vector<std::uint8_t> message) override;
  void on_link_responsiveness(overlay_link& link, bool responsive) override;
  void on_link_idle(overlay_link& link) override;
  void on_link_closed(overlay_link& link, const std::string& reason) override;
  void on_link_deadline(overlay_link& link, link_time when) override;
  void schedule_pace(link_time when);
  void tick_links();

  boost::asio::io_context& io_;
  const tls_context& context_;
  wire::node_id local_;
  link_config config_;
  link_callbacks callbacks_;
  boost::asio::steady_timer ticker_;
  // Wakes links sooner than the next tick (DTLS pacing, retransmissions).
  boost::asio::steady_timer pacer_;
  std::optional<link_time> pace_at_;
  std::shared_ptr<tcp_listener> listener_;
  std::unordered_map<overlay_link*, std::unique_ptr<overlay_link>> links_;  // every open link
  std::unordered_map<wire::node_id, overlay_link*> by_peer_;                // the up ones
  std::vector<std::unique_ptr<overlay_link>> closed_;  // destroyed outside their own calls
  // Links that lost a crossed-dial tie, with when to close them.
  std::unordered_map<overlay_link*, link_clock::time_point> draining_;
  // connect_to_address() links not yet authenticated, with who to tell.
  std::unordered_map<const overlay_link*, identified_handler> awaiting_identity_;
  // Lets posted handlers and connect callbacks see that the table is gone.
  std::shared_ptr<connection_table*> alive_;
};

}  // namespace p2psip::link
