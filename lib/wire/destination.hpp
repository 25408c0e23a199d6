// Destination, used in Via and Destination lists, RFC 6940 §6.3.2.2.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/ids.hpp"

namespace p2psip::wire {

enum class destination_type : std::uint8_t { invalid = 0, node = 1, resource = 2, opaque_id_type = 3 };

// The 16-bit form: top bit set, meaningful only to the peer that made it.
struct compressed_id {
  std::uint16_t value = 0x8000;
  friend auto operator<=>(const compressed_id&, const compressed_id&) = default;
};

// "This structure may be extended with new types": kept so it can be skipped.
struct unknown_destination {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> data;
  friend auto operator<=>(const unknown_destination&, const unknown_destination&) = default;
};

struct destination {
  std::variant<node_id, resource_id, opaque_id, compressed_id, unknown_destination> value;

  static destination node(const node_id& id) { return {id}; }
  static destination resource(const resource_id& id) { return {id}; }
  friend bool operator==(const destination&, const destination&) = default;
};

void encode(byte_writer& w, const destination& d);
void decode(byte_reader& r, destination& d);

// A list of Destinations filling exactly `r` (the lists carry byte lengths).
void decode_destination_list(byte_reader& r, std::vector<destination>& out);
void encode_destination_list(byte_writer& w, const std::vector<destination>& list);

}  // namespace p2psip::wire
