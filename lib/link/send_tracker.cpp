#include "link/send_tracker.hpp"

namespace p2psip::link {

std::uint32_t send_tracker::on_send(link_time now) {
  window_.push_back(sent_frame{now});
  return static_cast<std::uint32_t>(next_++);
}

std::optional<std::uint64_t> send_tracker::widen(std::uint32_t sequence) const noexcept {
  constexpr std::uint64_t span = std::uint64_t{1} << 32;
  std::uint64_t wide = (next_ & ~(span - 1)) | sequence;
  if (wide >= next_) {
    if (wide < span) return std::nullopt;  // never sent
    wide -= span;
  }
  return wide;
}

send_tracker::sent_frame* send_tracker::find_unacked(std::uint64_t sequence) noexcept {
  if (sequence < base_ || sequence >= next_) return nullptr;
  sent_frame& frame = window_[static_cast<std::size_t>(sequence - base_)];
  return frame.acked ? nullptr : &frame;
}

ack_outcome send_tracker::on_ack(const wire::framed_ack& ack, link_time now) {
  const auto sequence = widen(ack.ack_sequence);
  sent_frame* frame = sequence ? find_unacked(*sequence) : nullptr;
  if (frame == nullptr) {
    ++unknown_acks_;
    return ack_outcome::unknown;
  }
  frame->acked = true;
  ++acked_in_window_;
  // Only the frame named by ack_sequence gives an RTT sample; the bitmask
  // confirms earlier frames whose own ACKs may have been lost.
  rtt_.add_sample(now - frame->at);
  for (std::uint32_t k = 1; k < 32; ++k) {
    if ((ack.received >> k & 1u) == 0 || *sequence < k) continue;
    if (sent_frame* earlier = find_unacked(*sequence - k)) {
      earlier->acked = true;
      ++acked_in_window_;
    }
  }
  retire_front(*sequence);
  return ack_outcome::acknowledged;
}

void send_tracker::retire_front(std::uint64_t newest_acked) noexcept {
  while (!window_.empty()) {
    if (window_.front().acked) {
      --acked_in_window_;
    } else if (base_ + 31 < newest_acked) {
      ++lost_frames_;
    } else {
      break;
    }
    window_.pop_front();
    ++base_;
  }
}

std::optional<link_time> send_tracker::oldest_unacked_since() const noexcept {
  // retire_front() leaves an unacknowledged frame at the front.
  if (window_.empty()) return std::nullopt;
  return window_.front().at;
}

std::size_t send_tracker::unacked() const noexcept { return window_.size() - acked_in_window_; }

void send_tracker::report(link_stats& stats) const noexcept {
  stats.unknown_acks = unknown_acks_;
  stats.lost_frames = lost_frames_;
  stats.smoothed_rtt = rtt_.smoothed_rtt();
  stats.rto = rtt_.rto();
}

}  // namespace p2psip::link
