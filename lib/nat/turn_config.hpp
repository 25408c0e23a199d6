// What the TURN server is told: realm and shared secret, where it relays
// from, the RFC 5766 timers, quotas and the peer policy. Defaults are the
// RFC's; the daemon fills the rest from relay.* keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "nat/peer_policy.hpp"

namespace p2psip::nat {

struct turn_config {
  std::string realm = "p2psip";
  std::string shared_secret;  // TURN REST: passwords are HMACs under it
  std::string software = "p2psip";

  // Relay sockets bind here, and XOR-RELAYED-ADDRESS names it.
  boost::asio::ip::address relay_address = boost::asio::ip::address_v4::loopback();
  std::uint16_t relay_port_min = 49152;
  std::uint16_t relay_port_max = 65535;

  std::chrono::seconds default_lifetime{600};     // §6.2
  std::chrono::seconds max_lifetime{3600};
  std::chrono::seconds permission_lifetime{300};  // §8
  std::chrono::seconds channel_lifetime{600};     // §11
  std::chrono::seconds nonce_lifetime{600};

  std::size_t max_allocations = 1000;        // all together: beyond, 508
  std::size_t max_allocations_per_user = 8;  // per REST id: beyond, 486
  // TCP and TLS clients at once, allocating or not: beyond, new ones are closed.
  std::size_t max_stream_connections = 4000;
  // Bytes per second each way per allocation, with a one-second burst; 0 is
  // unlimited.
  std::uint64_t bandwidth_per_allocation = 0;

  peer_policy_config peers;
};

}  // namespace p2psip::nat
