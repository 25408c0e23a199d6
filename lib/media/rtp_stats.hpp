// One direction of one RTP stream, as its receiver counts it: packets and
// bytes, loss from sequence gaps (RFC 3550 A.1's extended sequence numbers:
// 16-bit wrap, reordering, a large jump taken only when the next packet
// confirms it), interarrival jitter (A.8) and the last time anything came,
// for inactivity detection. A call keeps one per direction. Arrival times are
// given by the caller: there is no clock in here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace p2psip::media {

struct rtp_stats_snapshot {
  std::uint64_t packets = 0;  // RTP packets counted (duplicates too)
  std::uint64_t bytes = 0;    // their sizes as received
  std::uint64_t rtcp_packets = 0;
  std::uint64_t rtcp_bytes = 0;
  std::uint64_t expected = 0;  // from the first sequence number to the highest
  std::uint64_t lost = 0;      // expected minus received, never below 0
  double jitter = 0;           // RFC 3550 A.8, in timestamp units
  double jitter_ms = 0;        // the same in milliseconds at the clock rate
};

class rtp_stats {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // `clock_rate` is the RTP timestamp rate in Hz (8000 for G.711); jitter is
  // meaningless without it, so 0 is taken as 8000.
  explicit rtp_stats(std::uint32_t clock_rate = 8000) noexcept
      : clock_rate_(clock_rate ? clock_rate : 8000) {}

  // One RTP packet of `size` bytes that arrived at `arrival`.
  void on_rtp(std::uint16_t sequence, std::uint32_t timestamp, std::size_t size,
              time_point arrival) noexcept;
  void on_rtcp(std::size_t size, time_point arrival) noexcept;

  rtp_stats_snapshot snapshot() const noexcept;
  // Nothing before the first packet of either kind.
  std::optional<time_point> last_activity() const noexcept { return last_activity_; }
  // True when nothing came for `limit` up to `now`, counting from `since`
  // (the stream's start) when nothing has come at all.
  bool inactive(time_point now, std::chrono::nanoseconds limit, time_point since) const noexcept;

 private:
  // Whether a packet with this sequence number counts toward loss and jitter.
  bool update_sequence(std::uint16_t sequence) noexcept;
  void update_jitter(std::uint32_t timestamp, time_point arrival) noexcept;

  std::uint32_t clock_rate_;
  rtp_stats_snapshot totals_;
  std::optional<time_point> last_activity_;
  bool started_ = false;
  std::uint16_t max_sequence_ = 0;
  std::uint32_t cycles_ = 0;  // sequence wraps seen, times 65536
  std::uint32_t base_sequence_ = 0;
  std::uint32_t bad_sequence_ = 0x10001;  // none: a sequence + 1 never reaches it
  std::uint64_t received_ = 0;            // packets that count toward loss
  // A.8's state: the first arrival anchors the arrival clock.
  std::optional<time_point> epoch_;
  std::int64_t last_transit_ = 0;
  bool have_transit_ = false;
};

}  // namespace p2psip::media
