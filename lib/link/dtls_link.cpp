#include "link/dtls_link.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

#include "wire/byte_reader.hpp"

namespace p2psip::link {

namespace {
// Bounds the duplicate filter's memory whatever the window and the rate.
constexpr std::size_t max_remembered_deliveries = 1024;

std::size_t message_capacity(std::size_t path_mtu, std::size_t configured_max) {
  constexpr std::size_t headers = dtls_session::max_record_overhead + wire::framed_data_header_size;
  return path_mtu > headers ? std::min(configured_max, path_mtu - headers) : 0;
}

// A seeded RTT shortens the handshake's first retransmission wait as it does
// the data RTO (§6.6.3.1); without one the configured timing holds.
flight_timing handshake_timing(const link_config& config,
                               const std::optional<link_duration>& initial_rtt) {
  flight_timing timing = config.datagram.handshake;
  if (initial_rtt) {
    rtt_estimator seeded(config.rto);
    seeded.add_sample(*initial_rtt);
    timing.initial = seeded.rto();
  }
  return timing;
}

// ack_sequence itself, or an earlier frame its bitmask reports received.
bool acknowledges(const wire::framed_ack& ack, std::uint32_t sequence) {
  const std::uint32_t behind = ack.ack_sequence - sequence;  // modulo 2^32
  return behind == 0 || (behind < 32 && (ack.received >> behind & 1u) != 0);
}
}  // namespace

dtls_link::dtls_link(std::shared_ptr<datagram_path> path, const tls_context& context, tls_role role,
                     std::optional<wire::node_id> expected_peer, const link_config& config,
                     observer& observer, clock_source clock,
                     std::optional<link_duration> initial_rtt)
    : overlay_link(role, expected_peer),
      path_(std::move(path)),
      context_(context),
      config_(config),
      keepalive_interval_(path_->checks_liveness() ? config.checked_path_keepalive_interval
                                                   : config.keepalive_interval),
      path_mtu_(path_->mtu()),
      max_message_size_(message_capacity(path_mtu_, config.max_message_size)),
      observer_(observer),
      clock_(std::move(clock)),
      sender_(config.rto, config.max_unacked_frames),
      session_(context, role, expected_peer, path_mtu_, handshake_timing(config, initial_rtt)),
      queue_(config.send_queue_messages, config.send_queue_bytes) {
  if (initial_rtt) sender_.seed_rtt(*initial_rtt);
}

dtls_link::~dtls_link() {
  if (state_ != state::closed) path_->close();
}

void dtls_link::start() {
  started_ = last_activity_ = clock_();
  path_->start(*this);
  session_.start(started_);
  flush_output();
}

bool dtls_link::accept(std::vector<std::uint8_t> message) {
  if (!queue_.push(std::move(message))) {
    ++counters_.sends_refused;
    return false;
  }
  pump(clock_());
  announce_deadline();
  return true;
}

void dtls_link::announce_deadline() {
  // Stop and wait (§6.6.3.1) sends the next message 10 ms after an ACK; a
  // 100 ms tick would make that one message per tick.
  if (const auto when = next_deadline()) observer_.on_link_deadline(*this, *when);
}

void dtls_link::send_keepalive() {
  if (state_ == state::established && queue_.push({})) pump(clock_());
}

void dtls_link::pump(link_time now) {
  while (state_ == state::established && !queue_.empty() &&
         in_flight_.size() < config_.datagram.messages_in_flight && sender_.can_send() &&
         now >= send_not_before_) {
    unacknowledged& entry = in_flight_.emplace_back();
    entry.message = queue_.pop();
    ++(entry.message.empty() ? counters_.keepalives_out : counters_.messages_out);
    transmit(entry, now);
  }
}

void dtls_link::transmit(unacknowledged& entry, link_time now) {
  const std::uint32_t sequence = sender_.on_send(now);
  frame_.clear();
  // Cannot fail: send() kept messages within one datagram.
  (void)wire::append_data_frame(frame_, sequence, entry.message);
  entry.sequences.push_back(sequence);
  // §6.6.3.1: wait one RTO, then double the wait after each retransmission.
  entry.wait = entry.sequences.size() == 1
                   ? link_duration(sender_.rtt().rto())
                   : std::min<link_duration>(entry.wait * 2, config_.rto.maximum);
  entry.retransmit_at = now + entry.wait;
  last_activity_ = now;
  if (!session_.send(frame_)) {
    finish(session_.failure(), false, log_level::warning);
    return;
  }
  flush_output();
}

void dtls_link::retransmit_due(link_time now) {
  const auto& sr = config_.datagram;
  std::size_t most_retransmissions = 0;
  for (auto& entry : in_flight_) {
    if (now < entry.retransmit_at) continue;
    if (entry.sequences.size() >= sr.max_transmissions) {
      finish("no ACK after " + std::to_string(entry.sequences.size()) + " transmissions", false,
             log_level::warning);
      return;
    }
    ++counters_.retransmissions;
    transmit(entry, now);
    if (state_ != state::established) return;
    most_retransmissions = std::max(most_retransmissions, entry.sequences.size() - 1);
  }
  // Reported after the loop: the observer may send, which adds to in_flight_.
  if (responsive_ && most_retransmissions >= sr.unresponsive_after_retransmissions) {
    responsive_ = false;
    context_.log(log_level::info, "link to " + peer_name() +
                                      " unresponsive: " + std::to_string(most_retransmissions) +
                                      " retransmissions without an ACK");
    observer_.on_link_responsiveness(*this, false);
  }
}

void dtls_link::flush_output() {
  for (auto& datagram : session_.take_datagrams()) {
    counters_.bytes_out += datagram.size();
    path_->send(std::move(datagram));
  }
}

void dtls_link::on_datagram(wire::bytes_view datagram) {
  if (state_ == state::closed) return;
  counters_.bytes_in += datagram.size();
  const link_time now = clock_();
  records_.clear();
  const tls_state dtls = session_.receive(datagram, now, records_);
  flush_output();  // handshake flights and alerts
  if (dtls == tls_state::failed) {
    finish(session_.failure(), false, log_level::warning);
    return;
  }
  if (state_ == state::handshaking) {
    if (dtls == tls_state::handshaking) return;
    state_ = state::established;
    last_activity_ = now;
    context_.log(log_level::info, "link up with " + peer_name() + " (" + protocol() + ")");
    // Our first record tells a peer that sent the handshake's last flight
    // that it arrived, and its ACK gives the first RTT sample.
    send_keepalive();
    if (state_ != state::established) return;
    observer_.on_link_established(*this);
  }
  for (const auto& record : records_) {
    if (state_ != state::established) return;
    handle_record(record, now);
  }
  if (state_ != state::established) return;
  if (dtls == tls_state::closed) {
    finish("peer closed the DTLS session", false, log_level::info);
    return;
  }
  pump(now);
  announce_deadline();
}

void dtls_link::handle_record(wire::bytes_view record, link_time now) {
  wire::byte_reader reader(record);
  wire::framed_message frame;
  wire::decode(reader, frame);
  if (!reader.ok() || !reader.empty()) {
    // §6.6: malformed input closes the session.
    finish(reader.ok() ? std::string("bad frame from peer: bytes after the frame")
                       : "bad frame from peer: " + reader.error()->describe(),
           true, log_level::warning);
    return;
  }
  last_activity_ = now;
  if (auto* data = std::get_if<wire::framed_data>(&frame.value)) {
    handle_data(*data, now);
  } else {
    handle_ack(std::get<wire::framed_ack>(frame.value), now);
  }
}

void dtls_link::handle_data(wire::framed_data& data, link_time now) {
  if (data.message.size() > config_.max_message_size) {
    finish("message from peer above max-message-size", true, log_level::warning);
    return;
  }
  // §6.6.2: the receiver SHOULD ACK immediately.
  frame_.clear();
  wire::append_ack_frame(frame_, acks_.on_data(data.sequence));
  ++counters_.acks_out;
  if (!session_.send(frame_)) {
    finish(session_.failure(), false, log_level::warning);
    return;
  }
  flush_output();
  if (data.message.empty()) {
    ++counters_.keepalives_in;
  } else if (is_duplicate(data.message, now)) {
    ++counters_.duplicates_dropped;
  } else {
    ++counters_.messages_in;
    observer_.on_link_message(*this, std::move(data.message));
  }
}

void dtls_link::handle_ack(const wire::framed_ack& ack, link_time now) {
  ++counters_.acks_in;
  if (sender_.on_ack(ack, now) == ack_outcome::unknown) return;  // a late or repeated ACK
  const auto before = in_flight_.size();
  std::erase_if(in_flight_, [&](const unacknowledged& entry) {
    return std::any_of(entry.sequences.begin(), entry.sequences.end(),
                       [&](std::uint32_t sequence) { return acknowledges(ack, sequence); });
  });
  if (in_flight_.size() != before) send_not_before_ = now + config_.datagram.ack_spacing;
  if (!responsive_) {
    responsive_ = true;
    observer_.on_link_responsiveness(*this, true);
  }
}

bool dtls_link::is_duplicate(wire::bytes_view message, link_time now) {
  const auto window = config_.datagram.duplicate_window;
  if (window <= milliseconds::zero()) return false;
  while (!delivered_.empty() && (now - delivered_.front().second >= window ||
                                 delivered_.size() >= max_remembered_deliveries)) {
    delivered_.pop_front();
  }
  const std::size_t digest = std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(message.data()), message.size()));
  if (std::any_of(delivered_.begin(), delivered_.end(),
                  [&](const auto& seen) { return seen.first == digest; })) {
    return true;
  }
  delivered_.emplace_back(digest, now);
  return false;
}

void dtls_link::on_path_closed(std::string_view reason) {
  finish("path closed: " + std::string(reason), false,
         state_ == state::handshaking ? log_level::warning : log_level::info);
}

void dtls_link::tick() {
  if (state_ == state::closed) return;
  const link_time now = clock_();
  session_.on_timer(now);  // handshake flights, and the server's last one after it
  flush_output();
  if (session_.state() == tls_state::failed) {
    finish(session_.failure(), false, log_level::warning);
    return;
  }
  if (state_ == state::handshaking) {
    if (now - started_ >= config_.handshake_timeout) {
      finish("DTLS handshake timed out", false, log_level::warning);
    }
    return;
  }
  retransmit_due(now);
  pump(now);
  if (state_ != state::established) return;
  if (in_flight_.empty() && queue_.empty() && now - last_activity_ >= keepalive_interval_) {
    last_activity_ = now;
    observer_.on_link_idle(*this);
  }
}

std::optional<link_time> dtls_link::next_deadline() const {
  if (state_ == state::closed) return std::nullopt;
  std::optional<link_time> next = session_.retransmit_at();
  const auto consider = [&next](link_time t) { next = next ? std::min(*next, t) : t; };
  if (state_ == state::handshaking) {
    consider(started_ + config_.handshake_timeout);
    return next;
  }
  for (const auto& entry : in_flight_) consider(entry.retransmit_at);
  if (!queue_.empty() && in_flight_.size() < config_.datagram.messages_in_flight) {
    consider(send_not_before_);
  }
  if (in_flight_.empty() && queue_.empty()) consider(last_activity_ + keepalive_interval_);
  return next;
}

void dtls_link::close(const std::string& reason) { finish(reason, true, log_level::info); }

void dtls_link::finish(std::string reason, bool graceful, log_level level) {
  if (state_ == state::closed) return;
  state_ = state::closed;
  if (graceful) session_.close();  // close_notify
  flush_output();                  // and the alert of a failed handshake
  path_->close();
  context_.log(level, "link to " + peer_name() + " closed: " + reason);
  observer_.on_link_closed(*this, reason);
}

link_stats dtls_link::stats() const {
  link_stats out = counters_;
  sender_.report(out);
  out.flight_retransmissions = session_.flight_retransmissions();
  return out;
}

}  // namespace p2psip::link
