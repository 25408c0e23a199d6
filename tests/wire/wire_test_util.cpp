#include "wire_test_util.hpp"

#include <stdexcept>

namespace p2psip::wire::test {

std::vector<std::uint8_t> hex(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\t') compact.push_back(c);
  }
  auto bytes = from_hex(compact);
  if (!bytes) throw std::invalid_argument("bad hex in test vector");
  return *bytes;
}

}  // namespace p2psip::wire::test
