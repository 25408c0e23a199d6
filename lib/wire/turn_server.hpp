// TurnServer, the TURN-SERVICE Kind's value, RFC 6940 §9.
#pragma once

#include <cstdint>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ip_address_port.hpp"

namespace p2psip::wire {

struct turn_server {
  // The d in H(Node-ID || d), 1..turn-density: 0 is rejected as invalid_value.
  std::uint8_t iteration = 1;
  ip_address_port server_address;
  friend bool operator==(const turn_server&, const turn_server&) = default;
};

void encode(byte_writer& w, const turn_server& v);
void decode(byte_reader& r, turn_server& v);

}  // namespace p2psip::wire
