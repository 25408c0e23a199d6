// The IPv4 interfaces LAN discovery can use, read from the kernel each time
// (getifaddrs): interfaces come and go with Wi-Fi, cables and VPNs.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/ip/address_v4.hpp>

namespace p2psip::bootstrap {

struct network_interface {
  std::string name;
  unsigned index = 0;
  boost::asio::ip::address_v4 address;

  friend bool operator==(const network_interface&, const network_interface&) = default;
};

// Interfaces to announce on. `wanted` empty: every interface that is up,
// running and multicast-capable with an IPv4 address, loopback excluded.
// Otherwise the one interface so named, or holding that IPv4 address,
// whatever its flags (an explicit "lo" works for tests on one host).
// Sorted by name; one entry per interface (its first IPv4 address).
std::vector<network_interface> discovery_interfaces(const std::string& wanted);

}  // namespace p2psip::bootstrap
