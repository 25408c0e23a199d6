// Time as the TURN server sees it: injected, so lifetimes, permissions,
// channels, bandwidth, nonces and credential expiry run under a manual clock
// in tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace p2psip::nat {

using turn_time = std::chrono::steady_clock::time_point;
using turn_duration = std::chrono::steady_clock::duration;

class turn_clock {
 public:
  virtual ~turn_clock() = default;
  // Lifetimes and bandwidth.
  virtual turn_time now() const = 0;
  // TURN REST usernames and nonces carry Unix times.
  virtual std::int64_t unix_seconds() const = 0;
};

class system_turn_clock final : public turn_clock {
 public:
  turn_time now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t unix_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// The process's one system clock, for servers not under test.
inline const turn_clock& default_turn_clock() {
  static const system_turn_clock clock;
  return clock;
}

}  // namespace p2psip::nat
