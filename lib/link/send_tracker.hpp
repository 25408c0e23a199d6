// Sender side of RFC 6940 §6.6.2: numbers data frames from 0, remembers when
// each unacknowledged frame was sent, and learns RTT and loss from ACKs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "link/link_clock.hpp"
#include "link/link_stats.hpp"
#include "link/rtt_estimator.hpp"
#include "wire/framing.hpp"

namespace p2psip::link {

enum class ack_outcome { acknowledged, unknown };

class send_tracker {
 public:
  send_tracker(const rto_bounds& bounds, std::size_t max_unacked) noexcept
      : rtt_(bounds), max_unacked_(max_unacked) {}

  // False while max_unacked frames await an ACK: the caller holds further
  // frames back, which bounds this tracker's memory.
  bool can_send() const noexcept { return window_.size() < max_unacked_; }
  // RFC 6940 §6.6.3.1: the RTT of the ICE check that found the path is the
  // first measurement, before any ACK.
  void seed_rtt(link_duration rtt) noexcept { rtt_.add_sample(rtt); }
  // Sequence number for the next data frame, sent at `now`.
  std::uint32_t on_send(link_time now);
  // An ACK whose ack_sequence is not awaiting acknowledgement (never sent,
  // or already acknowledged) is counted and otherwise ignored.
  ack_outcome on_ack(const wire::framed_ack& ack, link_time now);

  std::optional<link_time> oldest_unacked_since() const noexcept;
  std::size_t unacked() const noexcept;
  const rtt_estimator& rtt() const noexcept { return rtt_; }
  std::uint64_t unknown_acks() const noexcept { return unknown_acks_; }
  // Frames the receiver's 32-entry window has moved past without reporting.
  std::uint64_t lost_frames() const noexcept { return lost_frames_; }
  // Fills in the sender's part of a link's statistics: ACKs, loss, RTT, RTO.
  void report(link_stats& stats) const noexcept;

 private:
  struct sent_frame {
    link_time at;
    bool acked = false;
  };
  // Maps a 32-bit ack_sequence onto the 64-bit count of frames sent, so the
  // wrap after 2^32 frames does not confuse the window.
  std::optional<std::uint64_t> widen(std::uint32_t sequence) const noexcept;
  sent_frame* find_unacked(std::uint64_t sequence) noexcept;
  void retire_front(std::uint64_t newest_acked) noexcept;

  rtt_estimator rtt_;
  std::size_t max_unacked_;
  std::deque<sent_frame> window_;  // frames base_ .. next_-1
  std::uint64_t base_ = 0;
  std::uint64_t next_ = 0;
  std::size_t acked_in_window_ = 0;
  std::uint64_t unknown_acks_ = 0;
  std::uint64_t lost_frames_ = 0;
};

}  // namespace p2psip::link
