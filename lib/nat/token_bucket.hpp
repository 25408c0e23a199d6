// Bandwidth limit per allocation and direction: a token bucket in bytes that
// refills at the configured rate and holds one second's worth.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nat/turn_clock.hpp"

namespace p2psip::nat {

class token_bucket {
 public:
  // A rate of 0 admits everything.
  token_bucket(std::uint64_t bytes_per_second, turn_time now) noexcept
      : rate_(bytes_per_second), tokens_(static_cast<double>(bytes_per_second)), last_(now) {}

  // Takes `bytes` and answers true, or answers false and takes nothing.
  bool take(std::size_t bytes, turn_time now) noexcept;

 private:
  std::uint64_t rate_;
  double tokens_;
  turn_time last_;
};

}  // namespace p2psip::nat
