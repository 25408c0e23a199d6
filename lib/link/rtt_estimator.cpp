#include "link/rtt_estimator.hpp"

#include <algorithm>

namespace p2psip::link {

void rtt_estimator::add_sample(link_duration rtt) noexcept {
  rtt = std::max(rtt, link_duration::zero());
  if (!srtt_) {  // (2.2)
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    return;
  }
  // (2.3): beta = 1/4 on RTTVAR first, then alpha = 1/8 on SRTT.
  const link_duration error = *srtt_ > rtt ? *srtt_ - rtt : rtt - *srtt_;
  rttvar_ = (3 * rttvar_ + error) / 4;
  srtt_ = (7 * *srtt_ + rtt) / 8;
}

milliseconds rtt_estimator::rto() const noexcept {
  if (!srtt_) return bounds_.initial;
  // G, the clock granularity, is taken as 1 ms since the RTO is kept in ms.
  const link_duration variance = std::max<link_duration>(milliseconds(1), 4 * rttvar_);
  const auto rto = std::chrono::ceil<milliseconds>(*srtt_ + variance);
  return std::clamp(rto, bounds_.minimum, bounds_.maximum);
}

}  // namespace p2psip::link
