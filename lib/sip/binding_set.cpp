#include <algorithm>

#include "sip/overlay_directory.hpp"

namespace p2psip::sip {

std::chrono::seconds binding_set::lifetime() const {
  std::chrono::seconds longest{0};
  for (const auto& c : contacts) longest = std::max(longest, c.expires);
  return longest;
}

}  // namespace p2psip::sip
