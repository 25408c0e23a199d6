// One anchored m-line: the phone's RTP and RTCP on a media_leg, the far
// daemon over an ICE path (a pooled_agent, RTCP muxed, RFC 5761), SRTP
// between the two daemons (srtp_stream: this daemon's key out, the far
// daemon's in). Payloads pass untouched; what the phone sends before the
// far key and the path are there is dropped and counted.
//
// Thread: the media thread (the leg's io_context and the agent's executor).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "media/media_leg.hpp"
#include "media/pooled_agent.hpp"
#include "media/rtp_stats.hpp"
#include "media/sdes_crypto.hpp"
#include "media/sdp_session.hpp"
#include "media/srtp_stream.hpp"

namespace p2psip::media {

// What sip.dialogs shows of one stream.
struct stream_report {
  std::size_t index = 0;  // the m-line
  std::string type;       // "audio", "video"
  std::uint16_t phone_port = 0;
  // The selected pair, once ICE has one.
  std::optional<nat::ice_selected_pair> pair;
  bool path_failed = false;
  bool srtp = false;  // keys both ways: what goes between the daemons is SRTP
  media_direction phone_direction = media_direction::sendrecv;
  media_direction far_direction = media_direction::sendrecv;
  rtp_stats_snapshot from_phone;   // as this daemon received it from the phone
  rtp_stats_snapshot from_far;     // from the far daemon, after SRTP
  std::uint64_t srtp_refused = 0;  // far packets that failed authentication or replay
  std::uint64_t not_sent = 0;      // phone packets before keys and path
};

class anchored_stream {
 public:
  using clock = std::chrono::steady_clock;
  // The agent's events, for the call: "gathered" (maybe inside the
  // constructor), "ready", "failed: why".
  using path_event = std::function<void(const anchored_stream&, const std::string& what)>;

  // Throws boost::system::system_error when the leg cannot be bound.
  anchored_stream(boost::asio::io_context& io, const boost::asio::ip::address& phone_address,
                  port_range* ports, std::unique_ptr<pooled_agent> agent, std::string type,
                  std::size_t index, path_event on_path);
  ~anchored_stream();
  anchored_stream(const anchored_stream&) = delete;
  anchored_stream& operator=(const anchored_stream&) = delete;

  // The phone's offer or answer for this m-line.
  void phone_sdp(const sdp_media& m);
  // The far daemon's: its ICE description (first one only: no ICE restart)
  // and key; an SDP with other ICE credentials (another fork's daemon) is
  // ignored. An error when its key cannot be used.
  std::optional<media_error> far_sdp(const sdp_media& m);

  // Our key: a fresh one, or the offer's tag when the far daemon offered.
  const sdes_crypto& local_key() const noexcept { return local_key_; }
  void answer_tag(std::uint32_t tag) noexcept { local_key_.tag = tag; }
  std::uint16_t phone_port() const noexcept { return leg_->port(); }
  const pooled_agent& ice() const noexcept { return *agent_; }
  pooled_agent& ice() noexcept { return *agent_; }

  // Held (not sendrecv either way) streams are not checked for inactivity.
  bool held() const noexcept;
  // Whether nothing came from the phone or from the far daemon for `limit`
  // (counted from `since` when nothing came yet).
  bool silent(clock::time_point now, std::chrono::nanoseconds limit,
              clock::time_point since) const noexcept;
  stream_report report() const;
  std::size_t index() const noexcept { return index_; }

 private:
  void from_phone(packet_kind kind, std::span<const std::uint8_t> packet);
  void from_far(std::span<const std::uint8_t> datagram);

  std::string type_;
  std::size_t index_;
  path_event on_path_;
  sdes_crypto local_key_ = fresh_sdes_crypto();
  std::optional<sdes_crypto> far_key_;
  std::optional<srtp_stream> srtp_;
  std::optional<nat::ice_credentials> far_ice_;
  std::optional<nat::ice_selected_pair> pair_;
  bool path_failed_ = false;
  media_direction phone_direction_ = media_direction::sendrecv;
  media_direction far_direction_ = media_direction::sendrecv;
  std::optional<std::pair<std::optional<boost::asio::ip::address>, std::uint16_t>> phone_sdp_;
  rtp_stats from_phone_stats_;
  rtp_stats from_far_stats_;
  std::uint64_t srtp_refused_ = 0;
  std::uint64_t not_sent_ = 0;
  std::vector<std::uint8_t> buffer_;  // one packet being protected or unprotected
  std::unique_ptr<media_leg> leg_;
  std::unique_ptr<pooled_agent> agent_;  // last: its reports stop first
};

}  // namespace p2psip::media
