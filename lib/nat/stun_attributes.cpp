#include "nat/stun_attributes.hpp"

#include <algorithm>

#include "nat/stun_crypto.hpp"

namespace p2psip::nat {
namespace {

constexpr std::size_t max_reason = 763;

// Attribute readers see one value, so their errors carry no offset.
constexpr stun_error bad{stun_errc::bad_attribute, 0};

// What address bytes are XORed with: the cookie, then the transaction id
// (RFC 5389 §15.2); zeros for the plain MAPPED-ADDRESS.
std::array<std::uint8_t, 16> xor_pad(const transaction_id* id) {
  std::array<std::uint8_t, 16> pad{};
  if (id) {
    pad = {0x21, 0x12, 0xA4, 0x42};
    std::copy(id->begin(), id->end(), pad.begin() + 4);
  }
  return pad;
}

std::vector<std::uint8_t> address_value(const transport_address& address,
                                        const transaction_id* id) {
  const auto ip = address.address();
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 16;
  if (ip.is_v4()) {
    const auto v4 = ip.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
    size = 4;
  } else {
    bytes = ip.to_v6().to_bytes();
  }
  const auto pad = xor_pad(id);
  std::vector<std::uint8_t> out{0, size == 4 ? family_ipv4 : family_ipv6};
  append_u16(out, static_cast<std::uint16_t>(address.port() ^ load_u16(pad.data())));
  for (std::size_t i = 0; i < size; ++i) out.push_back(bytes[i] ^ pad[i]);
  return out;
}

result<transport_address> parse_address(const stun_attribute& a, const transaction_id* id) {
  const auto v = a.value;
  if (v.size() < 4) return bad;
  const std::size_t size = v[1] == family_ipv4 ? 4 : v[1] == family_ipv6 ? 16 : 0;
  if (size == 0 || v.size() != 4 + size) return bad;
  const auto pad = xor_pad(id);
  const auto port = static_cast<std::uint16_t>(load_u16(v.data() + 2) ^ load_u16(pad.data()));
  if (size == 4) {
    boost::asio::ip::address_v4::bytes_type b{};
    for (std::size_t i = 0; i < 4; ++i) b[i] = v[4 + i] ^ pad[i];
    return transport_address(boost::asio::ip::address_v4(b), port);
  }
  boost::asio::ip::address_v6::bytes_type b{};
  for (std::size_t i = 0; i < 16; ++i) b[i] = v[4 + i] ^ pad[i];
  return transport_address(boost::asio::ip::address_v6(b), port);
}

}  // namespace

void add_address(stun_writer& w, std::uint16_t type, const transport_address& address) {
  w.add(type, address_value(address, nullptr));
}

void add_xor_address(stun_writer& w, std::uint16_t type, const transport_address& address,
                     const transaction_id& id) {
  w.add(type, address_value(address, &id));
}

void add_error_code(stun_writer& w, std::uint16_t code, std::string_view reason) {
  std::vector<std::uint8_t> v{0, 0, static_cast<std::uint8_t>(code / 100),
                              static_cast<std::uint8_t>(code % 100)};
  reason = reason.substr(0, max_reason);
  v.insert(v.end(), reason.begin(), reason.end());
  w.add(attribute::error_code, v);
}

void add_unknown_attributes(stun_writer& w, std::span<const std::uint16_t> types) {
  std::vector<std::uint8_t> v;
  for (auto t : types) append_u16(v, t);
  w.add(attribute::unknown_attributes, v);
}

void add_string(stun_writer& w, std::uint16_t type, std::string_view value) {
  w.add(type, text_bytes(value));
}

void add_u32(stun_writer& w, std::uint16_t type, std::uint32_t value) {
  std::vector<std::uint8_t> v;
  append_u32(v, value);
  w.add(type, v);
}

void add_channel_number(stun_writer& w, std::uint16_t channel) {
  add_u32(w, attribute::channel_number, std::uint32_t{channel} << 16);
}

void add_requested_transport(stun_writer& w, std::uint8_t protocol) {
  add_u32(w, attribute::requested_transport, std::uint32_t{protocol} << 24);
}

void add_requested_address_family(stun_writer& w, std::uint8_t family) {
  add_u32(w, attribute::requested_address_family, std::uint32_t{family} << 24);
}

void add_even_port(stun_writer& w, bool reserve_next) {
  const std::uint8_t v = reserve_next ? 0x80 : 0x00;
  w.add(attribute::even_port, bytes_view(&v, 1));
}

void add_reservation_token(stun_writer& w, std::uint64_t token) {
  std::vector<std::uint8_t> v;
  append_u32(v, static_cast<std::uint32_t>(token >> 32));
  append_u32(v, static_cast<std::uint32_t>(token));
  w.add(attribute::reservation_token, v);
}

void add_dont_fragment(stun_writer& w) { w.add(attribute::dont_fragment, {}); }

result<transport_address> read_address(const stun_attribute& a) { return parse_address(a, nullptr); }

result<transport_address> read_xor_address(const stun_attribute& a, const transaction_id& id) {
  return parse_address(a, &id);
}

result<error_code_value> read_error_code(const stun_attribute& a) {
  const auto v = a.value;
  if (v.size() < 4 || v.size() > 4 + max_reason) return bad;
  const unsigned klass = v[2] & 0x07;
  if (klass < 3 || klass > 6 || v[3] > 99) return bad;
  return error_code_value{static_cast<std::uint16_t>(klass * 100 + v[3]),
                          {reinterpret_cast<const char*>(v.data() + 4), v.size() - 4}};
}

result<std::vector<std::uint16_t>> read_unknown_attributes(const stun_attribute& a) {
  if (a.value.size() % 2 != 0) return bad;
  std::vector<std::uint16_t> out;
  for (std::size_t i = 0; i < a.value.size(); i += 2) out.push_back(load_u16(a.value.data() + i));
  return out;
}

std::string_view read_string(const stun_attribute& a) {
  return {reinterpret_cast<const char*>(a.value.data()), a.value.size()};
}

result<std::uint32_t> read_u32(const stun_attribute& a) {
  if (a.value.size() != 4) return bad;
  return load_u32(a.value.data());
}

result<std::uint16_t> read_channel_number(const stun_attribute& a) {
  if (a.value.size() != 4) return bad;
  return load_u16(a.value.data());
}

result<std::uint8_t> read_requested_transport(const stun_attribute& a) {
  if (a.value.size() != 4) return bad;
  return a.value[0];
}

result<std::uint8_t> read_requested_address_family(const stun_attribute& a) {
  if (a.value.size() != 4 || (a.value[0] != family_ipv4 && a.value[0] != family_ipv6)) return bad;
  return a.value[0];
}

result<bool> read_even_port(const stun_attribute& a) {
  if (a.value.size() != 1) return bad;
  return (a.value[0] & 0x80) != 0;
}

result<std::uint64_t> read_reservation_token(const stun_attribute& a) {
  if (a.value.size() != 8) return bad;
  return std::uint64_t{load_u32(a.value.data())} << 32 | load_u32(a.value.data() + 4);
}

}  // namespace p2psip::nat
