#include "nat/token_bucket.hpp"

#include <algorithm>

namespace p2psip::nat {

bool token_bucket::take(std::size_t bytes, turn_time now) noexcept {
  if (rate_ == 0) return true;
  if (now > last_) {
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(rate_), tokens_ + seconds * static_cast<double>(rate_));
    last_ = now;
  }
  if (tokens_ < static_cast<double>(bytes)) return false;
  tokens_ -= static_cast<double>(bytes);
  return true;
}

}  // namespace p2psip::nat
