#include "wire/ids.hpp"

namespace p2psip::wire {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 0xf]);
  }
  return s;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::optional<node_id> node_id::from_span(std::span<const std::uint8_t> b) {
  if (b.size() != node_id_length) return std::nullopt;
  bytes_type a{};
  std::copy(b.begin(), b.end(), a.begin());
  return node_id(a);
}

std::optional<node_id> node_id::from_hex(std::string_view hex) {
  auto bytes = wire::from_hex(hex);
  if (!bytes) return std::nullopt;
  return from_span(*bytes);
}

}  // namespace p2psip::wire
