#include "link/tls_link.hpp"

#include <algorithm>

namespace p2psip::link {

namespace {
constexpr std::size_t max_idle_plaintext = 8 * 1024;

std::string millis(link_duration d) {
  return std::to_string(std::chrono::duration_cast<milliseconds>(d).count()) + " ms";
}
}  // namespace

tls_link::tls_link(std::shared_ptr<byte_stream> stream, const tls_context& context, tls_role role,
                   std::optional<wire::node_id> expected_peer, const link_config& config,
                   observer& observer, clock_source clock)
    : overlay_link(role, expected_peer),
      stream_(std::move(stream)),
      context_(context),
      config_(config),
      max_message_size_(std::min(config.max_message_size, wire::max_framed_payload)),
      observer_(observer),
      clock_(std::move(clock)),
      session_(context, role, expected_peer),
      splitter_(max_message_size_),
      sender_(config.rto, config.max_unacked_frames),
      queue_(config.send_queue_messages, config.send_queue_bytes) {}

tls_link::~tls_link() {
  if (state_ != state::closed) stream_->close(close_mode::abort);
}

void tls_link::start() {
  started_ = last_activity_ = clock_();
  stream_->start(*this);
  session_.start();
  flush_output();
}

bool tls_link::accept(std::vector<std::uint8_t> message) {
  if (!queue_.push(std::move(message))) {
    ++counters_.sends_refused;
    return false;
  }
  pump();
  return true;
}

void tls_link::send_keepalive() {
  if (state_ == state::established && queue_.push({})) pump();
}

void tls_link::pump() {
  if (state_ != state::established) return;
  const link_time now = clock_();
  outgoing_.clear();
  // Frames leave the queue while the peer keeps up: ACK window open and the
  // transport below its high-water mark. Batching them makes full records.
  while (!queue_.empty() && sender_.can_send() &&
         stream_->queued_bytes() + outgoing_.size() < config_.transport_high_water) {
    const auto message = queue_.pop();
    // Cannot fail: send() kept messages within the 2^24-1 frame limit.
    (void)wire::append_data_frame(outgoing_, sender_.on_send(now), message);
    ++(message.empty() ? counters_.keepalives_out : counters_.messages_out);
  }
  if (outgoing_.empty()) return;
  last_activity_ = now;
  if (!session_.send(outgoing_)) {
    finish(session_.failure(), close_mode::abort, log_level::warning);
    return;
  }
  flush_output();
}

void tls_link::flush_output() {
  if (!session_.has_output()) return;
  auto bytes = session_.take_output();
  counters_.bytes_out += bytes.size();
  stream_->write(std::move(bytes));
  if (stream_->queued_bytes() > config_.transport_backlog_limit) {
    finish("peer stopped reading: " + std::to_string(stream_->queued_bytes()) +
               " bytes unsent on the transport",
           close_mode::abort, log_level::warning);
  }
}

void tls_link::on_stream_data(wire::bytes_view data) {
  if (state_ == state::closed) return;
  counters_.bytes_in += data.size();
  // Most reads carry a small message: the buffer a big one grew is dropped
  // rather than kept per link.
  if (plaintext_.capacity() > max_idle_plaintext) plaintext_ = {};
  plaintext_.clear();
  const tls_state tls = session_.receive(data, plaintext_);
  flush_output();  // handshake flights and alerts
  if (state_ == state::closed) return;
  if (tls == tls_state::failed) {
    finish(session_.failure(), close_mode::graceful, log_level::warning);
    return;
  }
  const link_time now = clock_();
  if (state_ == state::handshaking) {
    if (tls == tls_state::handshaking) return;
    state_ = state::established;
    last_activity_ = now;
    context_.log(log_level::info, "link up with " + peer_name() + " (" + protocol() + ")");
    observer_.on_link_established(*this);
  }
  wire::bytes_view input(plaintext_);
  while (!input.empty() && state_ == state::established) {
    auto frame = splitter_.next(input);
    if (!frame) {
      // §6.6: too large (or malformed) input closes the session; the error
      // response is the overlay's to send, and it never sees this message.
      finish("bad frame from peer: " + frame.error().describe(), close_mode::graceful,
             log_level::warning);
      return;
    }
    if (*frame) handle_frame(std::move(**frame), now);
  }
  if (state_ != state::established) return;
  if (tls == tls_state::closed) {
    finish("peer closed the TLS session", close_mode::graceful, log_level::info);
    return;
  }
  if (!acks_due_.empty()) {
    const bool sent = session_.send(acks_due_);
    acks_due_.clear();
    if (!sent) {
      finish(session_.failure(), close_mode::abort, log_level::warning);
      return;
    }
  }
  pump();  // ACKs may have opened the window
  flush_output();
}

void tls_link::handle_frame(wire::framed_message frame, link_time now) {
  last_activity_ = now;
  if (auto* data = std::get_if<wire::framed_data>(&frame.value)) {
    // §6.6.2: the receiver SHOULD ACK immediately; ACKs for one read go out together.
    wire::append_ack_frame(acks_due_, acks_.on_data(data->sequence));
    ++counters_.acks_out;
    if (data->message.empty()) {
      ++counters_.keepalives_in;
    } else {
      ++counters_.messages_in;
      observer_.on_link_message(*this, std::move(data->message));
    }
    return;
  }
  const auto& ack = std::get<wire::framed_ack>(frame.value);
  ++counters_.acks_in;
  if (sender_.on_ack(ack, now) == ack_outcome::unknown) {
    context_.log(log_level::debug, "ignored ACK for unknown sequence " +
                                       std::to_string(ack.ack_sequence) + " from " + peer_name());
  } else if (!responsive_) {
    responsive_ = true;
    observer_.on_link_responsiveness(*this, true);
  }
}

void tls_link::on_stream_drained() { pump(); }

void tls_link::on_stream_closed(std::string_view reason) {
  finish("transport closed: " + std::string(reason), close_mode::abort,
         state_ == state::handshaking ? log_level::warning : log_level::info);
}

void tls_link::tick() {
  if (state_ == state::closed) return;
  const link_time now = clock_();
  if (state_ == state::handshaking) {
    if (now - started_ >= config_.handshake_timeout) {
      finish("TLS handshake timed out", close_mode::abort, log_level::warning);
    }
    return;
  }
  if (const auto since = sender_.oldest_unacked_since()) {
    const link_duration waited = now - *since;
    if (waited >= config_.failure_timeout) {
      finish("no ACK for " + millis(waited), close_mode::abort, log_level::warning);
      return;
    }
    if (responsive_ && waited >= sender_.rtt().rto()) {
      responsive_ = false;
      context_.log(log_level::info,
                   "link to " + peer_name() + " unresponsive: no ACK for " + millis(waited));
      observer_.on_link_responsiveness(*this, false);
    }
    return;  // a frame awaiting its ACK already probes the link
  }
  if (now - last_activity_ >= config_.keepalive_interval) {
    last_activity_ = now;
    observer_.on_link_idle(*this);
  }
}

void tls_link::close(const std::string& reason) {
  finish(reason, close_mode::graceful, log_level::info);
}

void tls_link::finish(std::string reason, close_mode mode, log_level level) {
  if (state_ == state::closed) return;
  state_ = state::closed;
  if (mode == close_mode::graceful) {
    session_.close();
    flush_output();  // close_notify, or the alert of a failed handshake
  }
  stream_->close(mode);
  context_.log(level, "link to " + peer_name() + " closed: " + reason);
  observer_.on_link_closed(*this, reason);
}

link_stats tls_link::stats() const {
  link_stats out = counters_;
  sender_.report(out);
  return out;
}

}  // namespace p2psip::link
