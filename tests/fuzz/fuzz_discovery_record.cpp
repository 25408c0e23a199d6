// libFuzzer target for the LAN discovery datagram (bootstrap/discovery_record):
// anything on the multicast group is untrusted. A datagram that decodes must
// re-encode to exactly the same bytes, since the format has one encoding.
#include <algorithm>
#include <cstdlib>
#include <span>

#include "bootstrap/discovery_record.hpp"

using namespace p2psip::bootstrap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> datagram(data, size);
  const auto record = decode_discovery_record(datagram);
  if (!record) return 0;
  if (size > max_discovery_record_size || record->port == 0) std::abort();
  const auto encoded = encode_discovery_record(*record);
  if (!std::equal(encoded.begin(), encoded.end(), datagram.begin(), datagram.end())) std::abort();
  return 0;
}
