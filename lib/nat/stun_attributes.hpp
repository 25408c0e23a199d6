// STUN (RFC 5389 §15) and TURN (RFC 5766 §14) attributes: their types, and
// typed writers and readers on top of stun_writer and stun_attribute.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "nat/stun_message.hpp"

namespace p2psip::nat {

// An IP address and a port, whatever the transport.
using transport_address = boost::asio::ip::udp::endpoint;

namespace attribute {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t channel_number = 0x000C;
inline constexpr std::uint16_t lifetime = 0x000D;
inline constexpr std::uint16_t xor_peer_address = 0x0012;
inline constexpr std::uint16_t data = 0x0013;
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t xor_relayed_address = 0x0016;
inline constexpr std::uint16_t requested_address_family = 0x0017;  // RFC 6156
inline constexpr std::uint16_t even_port = 0x0018;
inline constexpr std::uint16_t requested_transport = 0x0019;
inline constexpr std::uint16_t dont_fragment = 0x001A;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t reservation_token = 0x0022;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t fingerprint = 0x8028;
}  // namespace attribute

// Types below 0x8000 must be understood, or the request fails with 420.
constexpr bool comprehension_required(std::uint16_t type) noexcept { return type < 0x8000; }

// REQUESTED-TRANSPORT's protocol number for UDP, the only one TURN relays here.
inline constexpr std::uint8_t protocol_udp = 17;
// REQUESTED-ADDRESS-FAMILY's values (RFC 6156 §4.1.1), as in address attributes.
inline constexpr std::uint8_t family_ipv4 = 0x01;
inline constexpr std::uint8_t family_ipv6 = 0x02;

void add_address(stun_writer& w, std::uint16_t type, const transport_address& address);
void add_xor_address(stun_writer& w, std::uint16_t type, const transport_address& address,
                     const transaction_id& id);
// `code` is 300-699; the reason phrase is cut to the 763 bytes the RFC allows.
void add_error_code(stun_writer& w, std::uint16_t code, std::string_view reason);
void add_unknown_attributes(stun_writer& w, std::span<const std::uint16_t> types);
void add_string(stun_writer& w, std::uint16_t type, std::string_view value);
// LIFETIME and other 32-bit values.
void add_u32(stun_writer& w, std::uint16_t type, std::uint32_t value);
void add_channel_number(stun_writer& w, std::uint16_t channel);
void add_requested_transport(stun_writer& w, std::uint8_t protocol);
void add_requested_address_family(stun_writer& w, std::uint8_t family);
void add_even_port(stun_writer& w, bool reserve_next);
void add_reservation_token(stun_writer& w, std::uint64_t token);
void add_dont_fragment(stun_writer& w);

struct error_code_value {
  std::uint16_t code = 0;
  std::string_view reason;
};

result<transport_address> read_address(const stun_attribute& a);
result<transport_address> read_xor_address(const stun_attribute& a, const transaction_id& id);
result<error_code_value> read_error_code(const stun_attribute& a);
result<std::vector<std::uint16_t>> read_unknown_attributes(const stun_attribute& a);
std::string_view read_string(const stun_attribute& a);
result<std::uint32_t> read_u32(const stun_attribute& a);
result<std::uint16_t> read_channel_number(const stun_attribute& a);
result<std::uint8_t> read_requested_transport(const stun_attribute& a);
// family_ipv4 or family_ipv6; anything else is bad_attribute.
result<std::uint8_t> read_requested_address_family(const stun_attribute& a);
// The R bit: reserve the next port as well.
result<bool> read_even_port(const stun_attribute& a);
result<std::uint64_t> read_reservation_token(const stun_attribute& a);

}  // namespace p2psip::nat
