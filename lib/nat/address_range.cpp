#include "nat/address_range.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace p2psip::nat {
namespace {

// The address as bytes, of which the first `bits` count.
struct address_bytes {
  std::array<unsigned char, 16> bytes{};
  unsigned bits = 0;
};

address_bytes bytes_of(const boost::asio::ip::address& a) {
  address_bytes out;
  if (a.is_v4()) {
    const auto v4 = a.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), out.bytes.begin());
    out.bits = 32;
  } else {
    out.bytes = a.to_v6().to_bytes();
    out.bits = 128;
  }
  return out;
}

// True when the first `prefix` bits of a and b agree.
bool same_prefix(const address_bytes& a, const address_bytes& b, unsigned prefix) {
  for (unsigned i = 0; i < prefix; ++i) {
    const unsigned mask = 0x80u >> (i % 8);
    if ((a.bytes[i / 8] & mask) != (b.bytes[i / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

std::optional<address_range> address_range::parse(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const auto network = boost::asio::ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  const auto bytes = bytes_of(network);
  unsigned prefix = bytes.bits;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
        prefix > bytes.bits) {
      return std::nullopt;
    }
  }
  // Host bits set ("10.0.0.1/8") are most likely a typo for something else.
  address_bytes network_only{};
  for (unsigned i = 0; i < prefix; ++i) {
    network_only.bytes[i / 8] |= bytes.bytes[i / 8] & (0x80u >> (i % 8));
  }
  if (network_only.bytes != bytes.bytes) return std::nullopt;
  return address_range(network, prefix);
}

bool address_range::contains(const boost::asio::ip::address& address) const noexcept {
  if (address.is_v4() != network_.is_v4()) return false;
  return same_prefix(bytes_of(address), bytes_of(network_), prefix_);
}

std::string address_range::to_string() const {
  return network_.to_string() + "/" + std::to_string(prefix_);
}

}  // namespace p2psip::nat
