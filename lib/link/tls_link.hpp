// One overlay link (RFC 6940 §6.6.5, TLS with the framing header): a TLS
// session, §6.6.2 framing and ACK bookkeeping over any byte_stream. Whole
// encoded messages go in and come out; TLS and frames stay inside.
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
#include "link/message_queue.hpp"
#include "link/overlay_link.hpp"
#include "link/send_tracker.hpp"
#include "link/tls_session.hpp"
#include "wire/framing.hpp"

namespace p2psip::link {

class tls_link final : public overlay_link, private byte_stream_handler {
 public:
  using observer = overlay_link::observer;

  tls_link(std::shared_ptr<byte_stream> stream, const tls_context& context, tls_role role,
           std::optional<wire::node_id> expected_peer, const link_config& config,
           observer& observer, clock_source clock);
  ~tls_link();
  tls_link(const tls_link&) = delete;
  tls_link& operator=(const tls_link&) = delete;

  void start() override;
  void send_keepalive() override;
  // Handshake timeout, responsiveness, failure timeout and idle detection.
  void tick() override;
  void close(const std::string& reason) override;

  const std::vector<wire::node_id>& peer_node_ids() const noexcept override {
    return session_.peer_node_ids();
  }
  std::string protocol() const override { return session_.protocol(); }
  std::size_t max_message_size() const noexcept override { return max_message_size_; }
  link_stats stats() const override;

 private:
  enum class state { handshaking, established, closed };

  void on_stream_data(wire::bytes_view data) override;
  void on_stream_drained() override;
  void on_stream_closed(std::string_view reason) override;

  void handle_frame(wire::framed_message frame, link_time now);
  bool established() const noexcept override { return state_ == state::established; }
  bool accept(std::vector<std::uint8_t> message) override;
  void pump();
  void flush_output();
  void finish(std::string reason, close_mode mode, log_level level);

  std::shared_ptr<byte_stream> stream_;
  const tls_context& context_;
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

  message_queue queue_;
  std::vector<std::uint8_t> plaintext_;  // reused receive buffer
  std::vector<std::uint8_t> outgoing_;   // reused frame batch
  std::vector<std::uint8_t> acks_due_;   // ACK frames for the data just received
  link_stats counters_;
};

}  // namespace p2psip::link
