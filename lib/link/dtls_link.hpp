// One DTLS-UDP-SR overlay link (RFC 6940 §6.6.4): a DTLS 1.2 session over a
// datagram_path, each record carrying one §6.6.2 frame, with Simple
// Reliability (§6.6.3): every data frame is ACKed, and the sender resends an
// unacknowledged message under a new sequence number after an RFC 6298 RTO,
// doubling the wait each time, up to a bounded number of transmissions, then
// closes the link as failed.
//
// Messages are not fragmented here: each fits one datagram, so
// max_message_size() is the path MTU less the DTLS record and frame headers,
// and the overlay fragments larger messages (§6.7) to that size.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link/ack_generator.hpp"
#include "link/datagram_path.hpp"
#include "link/dtls_session.hpp"
#include "link/link_clock.hpp"
#include "link/link_config.hpp"
#include "link/message_queue.hpp"
#include "link/overlay_link.hpp"
#include "link/send_tracker.hpp"
#include "wire/framing.hpp"

namespace p2psip::link {

class dtls_link final : public overlay_link, private datagram_handler {
 public:
  using observer = overlay_link::observer;

  // `context` must serve tls_transport::datagram. `initial_rtt`, when known
  // (the RTT of the ICE check that selected the path), seeds the RTO and the
  // handshake's first retransmission wait. Throws tls_error when the path
  // MTU is too small for DTLS.
  dtls_link(std::shared_ptr<datagram_path> path, const tls_context& context, tls_role role,
            std::optional<wire::node_id> expected_peer, const link_config& config,
            observer& observer, clock_source clock,
            std::optional<link_duration> initial_rtt = std::nullopt);
  ~dtls_link();
  dtls_link(const dtls_link&) = delete;
  dtls_link& operator=(const dtls_link&) = delete;

  void start() override;
  void send_keepalive() override;
  // Handshake flights and data frames due for retransmission, paced sends,
  // the handshake timeout, responsiveness and idle detection.
  void tick() override;
  void close(const std::string& reason) override;

  const std::vector<wire::node_id>& peer_node_ids() const noexcept override {
    return session_.peer_node_ids();
  }
  std::string protocol() const override { return session_.protocol(); }
  std::size_t max_message_size() const noexcept override { return max_message_size_; }
  link_stats stats() const override;

  // The largest datagram this link writes (the path's MTU).
  std::size_t path_mtu() const noexcept { return path_mtu_; }
  // The earliest time tick() has work to do, for an owner that schedules
  // its timer exactly instead of ticking at a fixed interval.
  std::optional<link_time> next_deadline() const;

 private:
  enum class state { handshaking, established, closed };

  // A message until one of its transmissions is ACKed.
  struct unacknowledged {
    std::vector<std::uint8_t> message;     // empty: a keepalive
    std::vector<std::uint32_t> sequences;  // one per transmission
    link_time retransmit_at{};
    link_duration wait{};
  };

  void announce_deadline();
  void on_datagram(wire::bytes_view datagram) override;
  void on_path_closed(std::string_view reason) override;

  void handle_record(wire::bytes_view record, link_time now);
  void handle_data(wire::framed_data& data, link_time now);
  void handle_ack(const wire::framed_ack& ack, link_time now);
  bool is_duplicate(wire::bytes_view message, link_time now);
  bool established() const noexcept override { return state_ == state::established; }
  bool accept(std::vector<std::uint8_t> message) override;
  void pump(link_time now);
  void transmit(unacknowledged& entry, link_time now);
  void retransmit_due(link_time now);
  void flush_output();
  void finish(std::string reason, bool graceful, log_level level);

  std::shared_ptr<datagram_path> path_;
  const tls_context& context_;
  link_config config_;
  milliseconds keepalive_interval_;  // idle time before on_link_idle
  std::size_t path_mtu_;
  std::size_t max_message_size_;
  observer& observer_;
  clock_source clock_;

  send_tracker sender_;
  dtls_session session_;
  ack_generator acks_;
  state state_ = state::handshaking;
  bool responsive_ = true;
  link_time started_{};
  link_time last_activity_{};
  link_time send_not_before_{};  // §6.6.3.1 spacing after an ACK

  message_queue queue_;
  std::deque<unacknowledged> in_flight_;
  // Digests of recently delivered messages, oldest first, for duplicate_window.
  std::deque<std::pair<std::size_t, link_time>> delivered_;
  std::vector<std::vector<std::uint8_t>> records_;  // reused receive buffer
  std::vector<std::uint8_t> frame_;                 // reused send buffer
  link_stats counters_;
};

}  // namespace p2psip::link
