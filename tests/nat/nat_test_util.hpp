// Helpers shared by the nat suites: byte strings from hex, and requests built
// with the layer's own writer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "nat/stun_attributes.hpp"
#include "nat/stun_message.hpp"

namespace p2psip::nat::test {

// "00 01 0a ..." or "00010a..." to bytes; whitespace is skipped.
inline std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline transaction_id make_id(std::uint8_t seed) {
  transaction_id id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}

inline transport_address endpoint(std::string_view ip, std::uint16_t port) {
  return {boost::asio::ip::make_address(ip), port};
}

}  // namespace p2psip::nat::test
