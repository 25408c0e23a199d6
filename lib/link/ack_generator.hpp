// Receiver side of RFC 6940 §6.6.2: remembers the 32 most recently received
// sequence numbers and builds the ACK, with its `received` bitmask, for each
// data frame.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "wire/framing.hpp"

namespace p2psip::link {

class ack_generator {
 public:
  static constexpr std::size_t window = 32;

  // The ACK to send for data frame `sequence`; then remembers `sequence`.
  wire::framed_ack on_data(std::uint32_t sequence) noexcept;

 private:
  std::array<std::uint32_t, window> recent_{};
  std::size_t count_ = 0;  // valid entries in recent_, up to window
  std::size_t next_ = 0;   // slot the next sequence overwrites
};

}  // namespace p2psip::link
