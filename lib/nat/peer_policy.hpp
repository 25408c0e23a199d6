// Which peers an allocation may relay to (RFC 5766 §17 "Other Considerations"
// and the safety rules): never to the server itself, by default not
// to loopback, unspecified, multicast or broadcast addresses, and as the
// operator's allow and deny lists say.
#pragma once

#include <vector>

#include <boost/asio/ip/address.hpp>

#include "nat/address_range.hpp"
#include "nat/stun_attributes.hpp"

namespace p2psip::nat {

struct peer_policy_config {
  std::vector<address_range> deny;   // checked first
  std::vector<address_range> allow;  // then these pass, over the defaults below
  // Loopback peers are refused unless this is set (tests on one machine).
  bool allow_loopback = false;
  // The box's own addresses, refused as peers on any port.
  std::vector<boost::asio::ip::address> own_addresses;
};

class peer_policy {
 public:
  explicit peer_policy(peer_policy_config config) : config_(std::move(config)) {}

  // The server's listening sockets: never a peer, even where the address may
  // be. (turn_core refuses its relay sockets itself: it knows which are open.)
  void add_own_endpoint(const transport_address& endpoint) { own_endpoints_.push_back(endpoint); }

  // Whether permissions may be installed for this address.
  bool permits_address(const boost::asio::ip::address& peer) const;
  // Whether data may be relayed to this peer: its address, and not one of
  // the server's own sockets.
  bool permits(const transport_address& peer) const;

 private:
  bool own_address(const boost::asio::ip::address& peer) const;
  // Whether `peer` reaches a socket bound to `bound` (which may be a wildcard).
  bool reaches(const boost::asio::ip::address& peer, const boost::asio::ip::address& bound) const;

  peer_policy_config config_;
  std::vector<transport_address> own_endpoints_;
};

}  // namespace p2psip::nat
