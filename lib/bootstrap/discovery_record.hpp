// The datagram LAN discovery sends (p2psipd(8) "LAN DISCOVERY"). Binary,
// network byte order, one record per datagram:
//
//   "P2SD" | version (1) | type | overlay hash (u32) | Node-ID (16 bytes)
//   | address family (0, 4 or 6) | address (0, 4 or 16 bytes) | port (u16)
//
// The overlay hash is the forwarding header's (§6.3.2: low 32 bits of
// SHA-1 of the overlay name), so overlays sharing a LAN ignore each other.
// Family 0 means "the address this datagram came from", for a node that
// listens on every interface. Records of another version are ignored, not
// refused, so a later version can coexist on the same group.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "wire/ids.hpp"

namespace p2psip::bootstrap {

enum class discovery_message : std::uint8_t {
  announcement = 1,  // periodic "I am here", to the group
  query = 2,         // "who is here?", to the group; also announces the sender
  answer = 3,        // unicast reply to a query's source
};

struct discovery_record {
  discovery_message type = discovery_message::announcement;
  wire::overlay_hash overlay;
  wire::node_id node;
  std::optional<boost::asio::ip::address> address;  // nullopt: the datagram's source
  std::uint16_t port = 0;                           // the node's RELOAD (TLS) port
};

inline constexpr std::uint8_t discovery_version = 1;
inline constexpr std::size_t max_discovery_record_size = 4 + 1 + 1 + 4 + 16 + 1 + 16 + 2;

std::vector<std::uint8_t> encode_discovery_record(const discovery_record& record);
// nullopt for anything that is not exactly a valid version-1 record: wrong
// magic, version, type, family or length, or port 0.
std::optional<discovery_record> decode_discovery_record(std::span<const std::uint8_t> datagram);

}  // namespace p2psip::bootstrap
