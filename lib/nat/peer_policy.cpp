#include "nat/peer_policy.hpp"

#include <algorithm>

namespace p2psip::nat {
namespace {

bool in(const std::vector<address_range>& ranges, const boost::asio::ip::address& a) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const address_range& r) { return r.contains(a); });
}

}  // namespace

bool peer_policy::permits_address(const boost::asio::ip::address& peer) const {
  if (in(config_.deny, peer)) return false;
  if (in(config_.allow, peer)) return true;
  if (peer.is_unspecified() || peer.is_multicast()) return false;
  if (peer.is_v4() && peer.to_v4() == boost::asio::ip::address_v4::broadcast()) return false;
  if (peer.is_loopback()) return config_.allow_loopback;
  return !own_address(peer);
}

bool peer_policy::permits(const transport_address& peer) const {
  if (!permits_address(peer.address())) return false;
  return std::none_of(own_endpoints_.begin(), own_endpoints_.end(),
                      [&](const transport_address& own) {
                        return own.port() == peer.port() && reaches(peer.address(), own.address());
                      });
}

bool peer_policy::own_address(const boost::asio::ip::address& peer) const {
  return std::find(config_.own_addresses.begin(), config_.own_addresses.end(), peer) !=
         config_.own_addresses.end();
}

bool peer_policy::reaches(const boost::asio::ip::address& peer,
                          const boost::asio::ip::address& bound) const {
  if (peer == bound) return true;
  return bound.is_unspecified() && (peer.is_loopback() || own_address(peer));
}

}  // namespace p2psip::nat
