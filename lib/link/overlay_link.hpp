// What the overlay sees of one link, whatever carries it: TLS over a byte
// stream (tls_link, TLS-TCP-FH-NO-ICE) or DTLS with Simple Reliability over a
// datagram path (dtls_link, DTLS-UDP-SR). Whole encoded messages go in and
// come out, with the same observer events, so a connection table can hold
// either.
//
// Single-threaded: every call and every observer call happens on the link's
// thread. Observer calls may re-enter send() and close().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "link/link_clock.hpp"
#include "link/link_stats.hpp"
#include "link/tls_session.hpp"
#include "wire/ids.hpp"

namespace p2psip::link {

enum class send_result {
  queued,
  not_connected,      // handshake not done, or the link is closed
  empty_message,      // an empty data frame is this link's keepalive
  message_too_large,  // above max_message_size()
  queue_full,         // back-pressure: try again after the queue drains
};

const char* to_string(send_result result) noexcept;

class overlay_link {
 public:
  class observer {
   public:
    virtual void on_link_established(overlay_link& link) = 0;
    virtual void on_link_message(overlay_link& link, std::vector<std::uint8_t> message) = 0;
    // Unresponsive: a frame has waited longer than the RTO for its ACK, so
    // §6.6.5 says to take the link out of the Routing Table for now.
    virtual void on_link_responsiveness(overlay_link& link, bool responsive) = 0;
    // Nothing sent or received for keepalive_interval, and no frame awaits an ACK.
    virtual void on_link_idle(overlay_link& link) = 0;
    // Called once, for every close; the link may be destroyed afterwards,
    // but not from inside this call.
    virtual void on_link_closed(overlay_link& link, const std::string& reason) = 0;
    // The link has work at `when` (a message paced after an ACK, a
    // retransmission) sooner than its owner's next tick may come.
    virtual void on_link_deadline(overlay_link& /*link*/, link_time /*when*/) {}

   protected:
    ~observer() = default;
  };

  virtual ~overlay_link() = default;

  virtual void start() = 0;
  // Refuses what no link may send, then hands the message to the link.
  send_result send(std::vector<std::uint8_t> message);
  // An empty data frame: the receiver ACKs it, which refreshes the RTT and
  // proves the link alive, and does not pass it to its overlay.
  virtual void send_keepalive() = 0;
  // Runs the link's timers from its clock; the owner calls it every tick_interval.
  virtual void tick() = 0;
  // Clean close: close_notify, then the transport closes.
  virtual void close(const std::string& reason) = 0;

  tls_role role() const noexcept { return role_; }
  // The Node-ID the link was opened to, when dialled by Node-ID.
  const std::optional<wire::node_id>& expected_peer() const noexcept { return expected_peer_; }
  // Empty until the handshake has authenticated the peer.
  virtual const std::vector<wire::node_id>& peer_node_ids() const noexcept = 0;
  virtual std::string protocol() const = 0;
  // The largest message send() takes; on datagram links the overlay
  // fragments larger ones (RFC 6940 §6.7).
  virtual std::size_t max_message_size() const noexcept = 0;
  virtual link_stats stats() const = 0;

 protected:
  overlay_link(tls_role role, std::optional<wire::node_id> expected_peer)
      : role_(role), expected_peer_(expected_peer) {}
  // For log lines: the authenticated Node-ID, else whom we hoped to reach.
  std::string peer_name() const;

 private:
  virtual bool established() const noexcept = 0;
  // Queues the message and starts sending; false when the queue is full.
  virtual bool accept(std::vector<std::uint8_t> message) = 0;

  tls_role role_;
  std::optional<wire::node_id> expected_peer_;
};

}  // namespace p2psip::link
