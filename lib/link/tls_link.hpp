// One overlay link (RFC 6940 §6.6.5, TLS with the framing header): a TLS
// session, §6.6.2 framing and ACK bookkeeping over any byte_stream. Whole
// encoded messages go in and come out; TLS and frames stay inside.
//
// Single-threaded: every call and every observer call happens on the
// stream's thread. Observer calls may re-enter send() and close().
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link/ack_generator.hpp"
#include "link/byte_stream.hpp"
#include "link/link_clock.hpp"
#include "link/link_config.hpp"
#include "link/link_stats.hpp"
#include "link/send_tracker.hpp"
#include "link/tls_session.hpp"
#include "wire/framing.hpp"

namespace p2psip::link {

enum class send_result {
  queued,
  not_connected,      // handshake not done, or the link is closed
  empty_message,      // an empty data frame is this link's keepalive
  message_too_large,  // above the configured max_message_size
  queue_full,         // back-pressure: try again after the queue drains
};

const char* to_string(send_result result) noexcept;

class tls_link final : private byte_stream_handler {
 public:
  class observer {
   public:
    virtual void on_link_established(tls_link& link) = 0;
    virtual void on_link_message(tls_link& link, std::vector<std::uint8_t> message) = 0;
    // Unresponsive: a frame has waited longer than the RTO for its ACK, so
    // §6.6.5 says to take the link out of the Routing Table for now.
    virtual void on_link_responsiveness(tls_link& link, bool responsive) = 0;
    // Nothing sent or received for keepalive_interval, and no frame awaits an ACK.
    virtual void on_link_idle(tls_link& link) = 0;
    // Called once, for every close; the link may be destroyed afterwards,
    // but not from inside this call.
    virtual void on_link_closed(tls_link& link, const std::string& reason) = 0;

   protected:
    ~observer() = default;
  };

  tls_link(std::shared_ptr<byte_stream> stream, const tls_context& context, tls_role role,
           std::optional<wire::node_id> expected_peer, const link_config& config,
           observer& observer, clock_source clock);
  ~tls_link();
  tls_link(const tls_link&) = delete;
  tls_link& operator=(const tls_link&) = delete;

  void start();
  send_result send(std::vector<std::uint8_t> message);
  // An empty data frame: the receiver ACKs it, which refreshes the RTT and
  // proves the link alive, and does not pass it to its overlay.
  void send_keepalive();
  // Handshake timeout, responsiveness, failure timeout and idle detection.
  void tick();
  // Clean close: close_notify, then the transport closes.
  void close(const std::string& reason);

  tls_role role() const noexcept { return role_; }
  const std::optional<wire::node_id>& expected_peer() const noexcept { return expected_peer_; }
  // Empty until the handshake has authenticated the peer.
  const std::vector<wire::node_id>& peer_node_ids() const noexcept {
    return session_.peer_node_ids();
  }
  std::string protocol() const { return session_.protocol(); }
  link_stats stats() const;

 private:
  enum class state { handshaking, established, closed };

  void on_stream_data(wire::bytes_view data) override;
  void on_stream_drained() override;
  void on_stream_closed(std::string_view reason) override;

  void handle_frame(wire::framed_message frame, link_time now);
  std::string peer_name() const;
  bool enqueue(std::vector<std::uint8_t> message);
  void pump();
  void flush_output();
  void finish(std::string reason, close_mode mode, log_level level);

  std::shared_ptr<byte_stream> stream_;
  const tls_context& context_;
  tls_role role_;
  std::optional<wire::node_id> expected_peer_;
  link_config config_;
  std::size_t max_message_size_;
  observer& observer_;
  clock_source clock_;

  tls_session session_;
  wire::frame_splitter splitter_;
  ack_generator acks_;
  send_tracker sender_;
  state state_ = state::handshaking;
  bool responsive_ = true;
  link_time started_{};
  link_time last_activity_{};

  std::deque<std::vector<std::uint8_t>> queue_;  // empty entries are keepalives
  std::size_t queued_bytes_ = 0;
  std::vector<std::uint8_t> plaintext_;  // reused receive buffer
  std::vector<std::uint8_t> outgoing_;   // reused frame batch
  std::vector<std::uint8_t> acks_due_;   // ACK frames for the data just received
  link_stats counters_;
};

}  // namespace p2psip::link
