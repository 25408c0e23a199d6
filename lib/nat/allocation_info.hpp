// One allocation as relay.allocations shows it, and the changes the event
// callback reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "nat/five_tuple.hpp"
#include "nat/turn_counters.hpp"

namespace p2psip::nat {

struct channel_info {
  std::uint16_t number = 0;
  transport_address peer;
};

// One allocation, as relay.allocations shows it.
struct allocation_info {
  five_tuple client;
  std::string username;
  transport_address relayed;
  std::vector<boost::asio::ip::address> permissions;
  std::vector<channel_info> channels;
  traffic to_peer;
  traffic from_peer;
  std::chrono::seconds age{};
  std::chrono::seconds expires_in{};
};

enum class allocation_change : std::uint8_t {
  created,
  expired,  // its lifetime ran out
  deleted,  // a Refresh with LIFETIME 0, or its TCP or TLS connection closed
};
constexpr const char* to_string(allocation_change c) noexcept {
  switch (c) {
    case allocation_change::created: return "created";
    case allocation_change::expired: return "expired";
    case allocation_change::deleted: return "deleted";
  }
  return "unknown";
}

}  // namespace p2psip::nat
