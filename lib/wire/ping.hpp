// Ping bodies, RFC 6940 §6.5.3.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::wire {

// Carries nothing but up to 65535 bytes of padding, for probing the overlay's
// maximum message size.
struct ping_req {
  std::vector<std::uint8_t> padding;  // opaque<0..2^16-1>
  friend bool operator==(const ping_req&, const ping_req&) = default;
};

struct ping_ans {
  std::uint64_t response_id = 0;
  std::uint64_t time = 0;  // milliseconds since the Unix epoch, like storage_time (§7)
  friend bool operator==(const ping_ans&, const ping_ans&) = default;
};

void encode(byte_writer& w, const ping_req& v);
void decode(byte_reader& r, ping_req& v);
void encode(byte_writer& w, const ping_ans& v);
void decode(byte_reader& r, ping_ans& v);

}  // namespace p2psip::wire
