#include "media/anchored_stream.hpp"

#include <algorithm>
#include <cstring>

namespace p2psip::media {

namespace {

constexpr std::size_t max_packet = 65536;

bool sendrecv(media_direction d) { return d == media_direction::sendrecv; }

}  // namespace

anchored_stream::anchored_stream(boost::asio::io_context& io,
                                 const boost::asio::ip::address& phone_address, port_range* ports,
                                 std::unique_ptr<pooled_agent> agent, std::string type,
                                 std::size_t index, path_event on_path)
    : type_(std::move(type)),
      index_(index),
      on_path_(std::move(on_path)),
      buffer_(max_packet + srtp_stream::max_trailer),
      agent_(std::move(agent)) {
  auto sink = [this](packet_kind kind, std::span<const std::uint8_t> packet) {
    from_phone(kind, packet);
  };
  leg_ = ports ? std::make_unique<media_leg>(io, phone_address, *ports, sink)
               : std::make_unique<media_leg>(io, phone_address, sink);
  leg_->start();
  pooled_agent::reports r;
  r.gathered = [this] {
    if (on_path_) on_path_(*this, "gathered");
  };
  r.ready = [this](const nat::ice_selected_pair& pair) {
    pair_ = pair;
    if (on_path_) on_path_(*this, "ready");
  };
  r.failed = [this](nat::ice_failure why) {
    path_failed_ = true;
    if (on_path_) on_path_(*this, std::string("failed: ") + nat::to_string(why));
  };
  r.datagram = [this](std::span<const std::uint8_t> datagram) { from_far(datagram); };
  agent_->redirect(std::move(r));
}

anchored_stream::~anchored_stream() {
  agent_.reset();  // its reports stop before the leg goes
  leg_->close();
}

void anchored_stream::phone_sdp(const sdp_media& m) {
  phone_direction_ = m.direction;
  const auto where = std::make_pair(m.connection, m.port);
  if (phone_sdp_ == where) return;  // the same answer again (183, then 200)
  if (phone_sdp_) leg_->relearn_phone();
  phone_sdp_ = where;
  leg_->expect_phone(m.connection, m.port, m.rtcp_mux);
}

std::optional<media_error> anchored_stream::far_sdp(const sdp_media& m) {
  far_direction_ = m.direction;
  // The first description only: a changed one would be an ICE restart,
  // which libnice's agent (one set_remote) does not take, or another fork's
  // daemon answering, whose key must not replace the one in use.
  if (m.ice && far_ice_ && m.ice->ufrag != far_ice_->ufrag) return std::nullopt;
  if (m.ice && !far_ice_) {
    far_ice_ = *m.ice;
    agent_->agent().set_remote({*m.ice, m.candidates});
  }
  if (m.crypto.empty()) {
    return media_error{media_errc::bad_crypto, "no usable a=crypto from the far daemon"};
  }
  const sdes_crypto& key = m.crypto.front();
  if (far_key_ == key) return std::nullopt;
  auto stream = srtp_stream::create(local_key_, key);
  if (!stream) return stream.error();
  srtp_.emplace(std::move(*stream));
  far_key_ = key;
  return std::nullopt;
}

bool anchored_stream::held() const noexcept {
  return !sendrecv(phone_direction_) || !sendrecv(far_direction_);
}

bool anchored_stream::silent(clock::time_point now, std::chrono::nanoseconds limit,
                             clock::time_point since) const noexcept {
  return from_phone_stats_.inactive(now, limit, since) ||
         from_far_stats_.inactive(now, limit, since);
}

void anchored_stream::from_phone(packet_kind kind, std::span<const std::uint8_t> packet) {
  const auto now = clock::now();
  if (kind == packet_kind::rtp) {
    if (auto h = parse_rtp_header(packet))
      from_phone_stats_.on_rtp(h->sequence, h->timestamp, packet.size(), now);
  } else {
    from_phone_stats_.on_rtcp(packet.size(), now);
  }
  if (!srtp_ || packet.size() > max_packet) {
    ++not_sent_;
    return;
  }
  std::memcpy(buffer_.data(), packet.data(), packet.size());
  std::size_t size = packet.size();
  const auto outcome =
      kind == packet_kind::rtp ? srtp_->protect(buffer_, size) : srtp_->protect_rtcp(buffer_, size);
  if (outcome != srtp_outcome::ok) {
    ++not_sent_;
    return;
  }
  agent_->agent().send(std::span<const std::uint8_t>(buffer_.data(), size));
}

void anchored_stream::from_far(std::span<const std::uint8_t> datagram) {
  const packet_kind kind = classify_packet(datagram);
  if (kind != packet_kind::rtp && kind != packet_kind::rtcp) return;
  if (!srtp_ || datagram.size() > max_packet) {
    ++srtp_refused_;
    return;
  }
  std::memcpy(buffer_.data(), datagram.data(), datagram.size());
  std::size_t size = datagram.size();
  const auto outcome = kind == packet_kind::rtp ? srtp_->unprotect(buffer_, size)
                                                : srtp_->unprotect_rtcp(buffer_, size);
  if (outcome != srtp_outcome::ok) {
    ++srtp_refused_;
    return;
  }
  const std::span<const std::uint8_t> plain(buffer_.data(), size);
  const auto now = clock::now();
  if (kind == packet_kind::rtp) {
    if (auto h = parse_rtp_header(plain))
      from_far_stats_.on_rtp(h->sequence, h->timestamp, size, now);
  } else {
    from_far_stats_.on_rtcp(size, now);
  }
  leg_->send_to_phone(kind, plain);
}

stream_report anchored_stream::report() const {
  stream_report r;
  r.index = index_;
  r.type = type_;
  r.phone_port = leg_->port();
  r.pair = pair_;
  r.path_failed = path_failed_;
  r.srtp = srtp_.has_value();
  r.phone_direction = phone_direction_;
  r.far_direction = far_direction_;
  r.from_phone = from_phone_stats_.snapshot();
  r.from_far = from_far_stats_.snapshot();
  r.srtp_refused = srtp_refused_;
  r.not_sent = not_sent_;
  return r;
}

}  // namespace p2psip::media
