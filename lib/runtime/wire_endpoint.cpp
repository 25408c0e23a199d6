#include "runtime/wire_endpoint.hpp"

namespace p2psip::runtime {
namespace asio = boost::asio;

wire::ip_address_port to_wire(const asio::ip::address& address, std::uint16_t port) {
  wire::ip_address_port out;
  if (address.is_v4()) {
    out.value = wire::ipv4_addr_port{address.to_v4().to_uint(), port};
  } else {
    out.value = wire::ipv6_addr_port{address.to_v6().to_bytes(), port};
  }
  return out;
}

std::optional<std::pair<asio::ip::address, std::uint16_t>> from_wire(
    const wire::ip_address_port& address) {
  std::optional<std::pair<asio::ip::address, std::uint16_t>> out;
  if (const auto* v4 = std::get_if<wire::ipv4_addr_port>(&address.value)) {
    out.emplace(asio::ip::address_v4(v4->addr), v4->port);
  } else if (const auto* v6 = std::get_if<wire::ipv6_addr_port>(&address.value)) {
    out.emplace(asio::ip::address_v6(v6->addr), v6->port);
  }
  if (out && (out->first.is_unspecified() || out->second == 0)) out.reset();
  return out;
}

}  // namespace p2psip::runtime
