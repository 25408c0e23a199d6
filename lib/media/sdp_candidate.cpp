#include "media/sdp_candidate.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <vector>

namespace p2psip::media {

namespace {

constexpr std::size_t max_foundation = 32;

std::vector<std::string_view> split_spaces(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && value[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < value.size() && value[i] != ' ') ++i;
    if (i > start) out.push_back(value.substr(start, i - start));
  }
  return out;
}

template <class T>
std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::optional<nat::transport_address> endpoint_of(std::string_view address, std::string_view port) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(std::string(address), ec);
  const auto p = number<std::uint16_t>(port);
  if (ec || !p) return std::nullopt;
  return nat::transport_address(ip, *p);
}

std::optional<nat::ice_candidate_type> type_named(std::string_view name) {
  using type = nat::ice_candidate_type;
  for (auto t : {type::host, type::srflx, type::prflx, type::relay}) {
    if (name == nat::to_string(t)) return t;
  }
  return std::nullopt;
}

}  // namespace

bool is_ice_chars(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

std::optional<nat::ice_candidate> parse_sdp_candidate(std::string_view value) {
  const auto f = split_spaces(value);
  if (f.size() < 8 || f.size() % 2 != 0 || f[6] != "typ") return std::nullopt;
  if (f[0].empty() || f[0].size() > max_foundation || !is_ice_chars(f[0])) return std::nullopt;
  if (number<unsigned>(f[1]) != 1u || !equals_ignoring_case(f[2], "udp")) return std::nullopt;
  const auto priority = number<std::uint32_t>(f[3]);
  const auto address = endpoint_of(f[4], f[5]);
  const auto type = type_named(f[7]);
  if (!priority || !address || !type) return std::nullopt;
  nat::ice_candidate out;
  out.foundation = std::string(f[0]);
  out.priority = *priority;
  out.address = *address;
  out.type = *type;
  std::optional<std::string_view> raddr, rport;
  for (std::size_t i = 8; i + 1 < f.size(); i += 2) {
    if (f[i] == "raddr") raddr = f[i + 1];
    if (f[i] == "rport") rport = f[i + 1];
  }
  if (raddr.has_value() != rport.has_value()) return std::nullopt;
  if (raddr) {
    out.related = endpoint_of(*raddr, *rport);
    if (!out.related) return std::nullopt;
  }
  return out;
}

std::string format_sdp_candidate(const nat::ice_candidate& c) {
  std::string out = c.foundation + " 1 UDP " + std::to_string(c.priority) + " " +
                    c.address.address().to_string() + " " + std::to_string(c.address.port()) +
                    " typ " + nat::to_string(c.type);
  if (c.related) {
    out += " raddr " + c.related->address().to_string() + " rport " +
           std::to_string(c.related->port());
  }
  return out;
}

}  // namespace p2psip::media
