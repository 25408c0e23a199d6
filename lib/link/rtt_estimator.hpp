// RTT and RTO estimation per RFC 6298 §2, as RFC 6940 §6.6.3.1/§6.6.5 require
// for framed links.
#pragma once

#include <optional>

#include "link/link_clock.hpp"
#include "link/link_config.hpp"

namespace p2psip::link {

class rtt_estimator {
 public:
  explicit rtt_estimator(const rto_bounds& bounds) noexcept : bounds_(bounds) {}

  void add_sample(link_duration rtt) noexcept;

  std::optional<link_duration> smoothed_rtt() const noexcept { return srtt_; }
  link_duration rtt_variation() const noexcept { return rttvar_; }
  // Rounded up to the millisecond and clamped to the configured bounds.
  milliseconds rto() const noexcept;

 private:
  rto_bounds bounds_;
  std::optional<link_duration> srtt_;
  link_duration rttvar_{};
};

}  // namespace p2psip::link
