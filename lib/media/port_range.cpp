#include "media/port_range.hpp"

#include <stdexcept>

namespace p2psip::media {

port_range::port_range(std::uint16_t first, std::uint16_t last) {
  const std::uint32_t even = first + (first & 1u);  // 65535 rounds up past the range
  if (first > last || even + 1 > last) {
    throw std::invalid_argument("port_range: no even port with its odd neighbour in range");
  }
  first_ = static_cast<std::uint16_t>(even);
  in_use_.assign((last - even + 1) / 2, false);
}

std::optional<std::uint16_t> port_range::acquire() {
  for (std::size_t tried = 0; tried < in_use_.size(); ++tried) {
    const std::size_t slot = next_;
    next_ = (next_ + 1) % in_use_.size();
    if (!in_use_[slot]) {
      in_use_[slot] = true;
      ++used_;
      return static_cast<std::uint16_t>(first_ + 2 * slot);
    }
  }
  return std::nullopt;
}

void port_range::release(std::uint16_t port) {
  if (port < first_ || (port - first_) % 2 != 0) return;
  const std::size_t slot = (port - first_) / 2;
  if (slot >= in_use_.size() || !in_use_[slot]) return;
  in_use_[slot] = false;
  --used_;
}

}  // namespace p2psip::media
