#include "media/rtp_stats.hpp"

#include <cmath>

namespace p2psip::media {

namespace {

// RFC 3550 A.1's bounds: a forward gap under max_dropout is loss, a step
// back within max_misorder is a late packet, anything else a jump.
constexpr std::uint16_t max_dropout = 3000;
constexpr std::uint16_t max_misorder = 100;
constexpr std::uint32_t sequence_modulo = 1u << 16;

}  // namespace

void rtp_stats::on_rtp(std::uint16_t sequence, std::uint32_t timestamp, std::size_t size,
                       time_point arrival) noexcept {
  ++totals_.packets;
  totals_.bytes += size;
  last_activity_ = arrival;
  if (!update_sequence(sequence)) return;
  ++received_;
  update_jitter(timestamp, arrival);
}

void rtp_stats::on_rtcp(std::size_t size, time_point arrival) noexcept {
  ++totals_.rtcp_packets;
  totals_.rtcp_bytes += size;
  last_activity_ = arrival;
}

bool rtp_stats::update_sequence(std::uint16_t sequence) noexcept {
  if (!started_) {
    started_ = true;
    max_sequence_ = sequence;
    base_sequence_ = sequence;
    return true;
  }
  const std::uint16_t delta = static_cast<std::uint16_t>(sequence - max_sequence_);
  if (delta < max_dropout) {
    if (sequence < max_sequence_) cycles_ += sequence_modulo;  // wrapped
    max_sequence_ = sequence;
    return true;
  }
  if (delta <= sequence_modulo - max_misorder) {
    // A jump: the sender restarted, or this is garbage. Believe it only when
    // the next packet follows it (A.1), then count from there afresh.
    if (sequence == bad_sequence_) {
      max_sequence_ = sequence;
      base_sequence_ = sequence;
      cycles_ = 0;
      received_ = 0;
      bad_sequence_ = 0x10001;
      return true;
    }
    bad_sequence_ = (std::uint32_t{sequence} + 1) & (sequence_modulo - 1);
    return false;
  }
  return true;  // late or duplicate: received, and it makes up for a gap
}

void rtp_stats::update_jitter(std::uint32_t timestamp, time_point arrival) noexcept {
  if (!epoch_) epoch_ = arrival;
  const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(arrival - *epoch_);
  // Arrival in timestamp units; the RTP timestamp is taken modulo 2^32 so
  // that transit differences survive its wrap.
  const auto arrival_units =
      static_cast<std::int64_t>(static_cast<long double>(since.count()) * clock_rate_ / 1e9L);
  const auto transit =
      static_cast<std::int32_t>(static_cast<std::uint32_t>(arrival_units) - timestamp);
  if (have_transit_) {
    const auto d = static_cast<std::int32_t>(static_cast<std::uint32_t>(transit) -
                                             static_cast<std::uint32_t>(last_transit_));
    totals_.jitter += (std::fabs(static_cast<double>(d)) - totals_.jitter) / 16.0;
  }
  last_transit_ = transit;
  have_transit_ = true;
}

rtp_stats_snapshot rtp_stats::snapshot() const noexcept {
  rtp_stats_snapshot out = totals_;
  if (started_) {
    out.expected = std::uint64_t{cycles_} + max_sequence_ - base_sequence_ + 1;
    out.lost = out.expected > received_ ? out.expected - received_ : 0;
  }
  out.jitter_ms = totals_.jitter * 1000.0 / clock_rate_;
  return out;
}

bool rtp_stats::inactive(time_point now, std::chrono::nanoseconds limit,
                         time_point since) const noexcept {
  const time_point from = last_activity_.value_or(since);
  return now - from >= limit;
}

}  // namespace p2psip::media
