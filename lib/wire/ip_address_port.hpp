// IpAddressPort, RFC 6940 §6.3.1.1.
#pragma once

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::wire {

enum class address_type : std::uint8_t { invalid = 0, ipv4 = 1, ipv6 = 2 };

struct ipv4_addr_port {
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  friend bool operator==(const ipv4_addr_port&, const ipv4_addr_port&) = default;
};

struct ipv6_addr_port {
  std::array<std::uint8_t, 16> addr{};
  std::uint16_t port = 0;
  friend bool operator==(const ipv6_addr_port&, const ipv6_addr_port&) = default;
};

// "This structure can be extended": an unknown address type is kept as raw
// bytes so that a node can skip it (§6.3.1.1) rather than drop the message.
struct unknown_address {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> body;
  friend bool operator==(const unknown_address&, const unknown_address&) = default;
};

struct ip_address_port {
  std::variant<ipv4_addr_port, ipv6_addr_port, unknown_address> value;
  friend bool operator==(const ip_address_port&, const ip_address_port&) = default;
};

void encode(byte_writer& w, const ip_address_port& v);
void decode(byte_reader& r, ip_address_port& v);

}  // namespace p2psip::wire
