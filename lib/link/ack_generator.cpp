#include "link/ack_generator.hpp"

namespace p2psip::link {

wire::framed_ack ack_generator::on_data(std::uint32_t sequence) noexcept {
  wire::framed_ack ack{sequence, 0};
  // "if M is less than N but greater than N-32, the N-M bit is set". The RFC
  // compares plainly; sequence wrap after 2^32 frames on one link is ignored.
  for (std::size_t i = 0; i < count_; ++i) {
    const std::uint32_t previous = recent_[i];
    if (previous < sequence && sequence - previous < window) ack.received |= 1u << (sequence - previous);
  }
  recent_[next_] = sequence;
  next_ = (next_ + 1) % window;
  if (count_ < window) ++count_;
  return ack;
}

}  // namespace p2psip::link
