// An allocation's key (RFC 5766 §2.2): the client's and the server's
// transport addresses and the transport between them.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

#include "nat/stun_attributes.hpp"

namespace p2psip::nat {

enum class client_transport : std::uint8_t { udp, tcp, tls };
constexpr const char* to_string(client_transport t) noexcept {
  switch (t) {
    case client_transport::udp: return "udp";
    case client_transport::tcp: return "tcp";
    case client_transport::tls: return "tls";
  }
  return "unknown";
}

struct five_tuple {
  client_transport transport = client_transport::udp;
  transport_address client;
  transport_address server;
  friend bool operator==(const five_tuple&, const five_tuple&) = default;
  friend std::weak_ordering operator<=>(const five_tuple&, const five_tuple&) = default;
};

// For the relay's per-packet lookups: hashing is cheaper than the ordered
// comparisons of addresses a std::map makes.
struct five_tuple_hash {
  std::size_t operator()(const five_tuple& t) const noexcept {
    const std::hash<transport_address> address;
    return address(t.client) * 31 + address(t.server) + static_cast<std::size_t>(t.transport);
  }
};

}  // namespace p2psip::nat
