// Transport addresses between Asio and RELOAD's IpAddressPort (§6.5.1.2),
// for ICE candidates and TurnServer values alike.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "wire/ip_address_port.hpp"

namespace p2psip::runtime {

wire::ip_address_port to_wire(const boost::asio::ip::address& address, std::uint16_t port);

// Nothing for an unspecified address, port 0 or an unknown address family.
std::optional<std::pair<boost::asio::ip::address, std::uint16_t>> from_wire(
    const wire::ip_address_port& address);

}  // namespace p2psip::runtime
