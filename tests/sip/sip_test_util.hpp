// Helpers shared by the sip test suites.
#pragma once

#include <cstdint>

#include "wire/ids.hpp"

namespace p2psip::test {

// A Node-ID whose 16 bytes are all `b`.
inline wire::node_id node(std::uint8_t b) {
  wire::node_id::bytes_type bytes{};
  bytes.fill(b);
  return wire::node_id(bytes);
}

}  // namespace p2psip::test
