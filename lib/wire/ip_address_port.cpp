#include "wire/ip_address_port.hpp"

namespace p2psip::wire {

namespace {
struct encoder {
  byte_writer& w;
  void operator()(const ipv4_addr_port& a) const {
    w.u8(static_cast<std::uint8_t>(address_type::ipv4));
    w.u8(6);
    w.u32(a.addr);
    w.u16(a.port);
  }
  void operator()(const ipv6_addr_port& a) const {
    w.u8(static_cast<std::uint8_t>(address_type::ipv6));
    w.u8(18);
    w.fixed(a.addr);
    w.u16(a.port);
  }
  void operator()(const unknown_address& a) const {
    if (a.type == static_cast<std::uint8_t>(address_type::ipv4) ||
        a.type == static_cast<std::uint8_t>(address_type::ipv6) || a.type == 0) {
      w.fail(codec_errc::invalid_value, "IpAddressPort.type");
    }
    w.u8(a.type);
    w.opaque(1, 0, 255, a.body, "IpAddressPort.length");
  }
};
}  // namespace

void encode(byte_writer& w, const ip_address_port& v) { std::visit(encoder{w}, v.value); }

void decode(byte_reader& r, ip_address_port& v) {
  const std::uint8_t type = r.u8("IpAddressPort.type");
  auto body = r.sub(r.u8("IpAddressPort.length"), "IpAddressPort.length");
  switch (type) {
    case static_cast<std::uint8_t>(address_type::ipv4): {
      ipv4_addr_port a;
      a.addr = body.u32("IPv4AddrPort.addr");
      a.port = body.u16("IPv4AddrPort.port");
      body.expect_end("IPv4AddrPort");
      v.value = a;
      break;
    }
    case static_cast<std::uint8_t>(address_type::ipv6): {
      ipv6_addr_port a;
      auto addr = body.fixed(16, "IPv6AddrPort.addr");
      std::copy(addr.begin(), addr.end(), a.addr.begin());
      a.port = body.u16("IPv6AddrPort.port");
      body.expect_end("IPv6AddrPort");
      v.value = a;
      break;
    }
    case 0:
      r.fail(codec_errc::unknown_type, "IpAddressPort.type");
      break;
    default: {
      auto rest = body.fixed(body.remaining(), "IpAddressPort");
      v.value = unknown_address{type, {rest.begin(), rest.end()}};
      break;
    }
  }
}

}  // namespace p2psip::wire
