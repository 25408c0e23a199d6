// ConfigUpdate bodies, RFC 6940 §6.5.4.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::wire {

enum class config_update_type : std::uint8_t { invalid = 0, config = 1, kind = 2 };

struct config_update_config {
  std::vector<std::uint8_t> config_data;  // the signed Configuration Document, <0..2^24-1>
  friend bool operator==(const config_update_config&, const config_update_config&) = default;
};

struct config_update_kinds {
  // KindDescription (opaque<0..2^16-1>, a UTF-8 kind-block) list, <0..2^24-1> bytes.
  std::vector<std::vector<std::uint8_t>> kinds;
  friend bool operator==(const config_update_kinds&, const config_update_kinds&) = default;
};

// "This structure may be extended": the 32-bit length lets a node skip it.
struct unknown_config_update {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> body;
  friend bool operator==(const unknown_config_update&, const unknown_config_update&) = default;
};

struct config_update_req {
  std::variant<config_update_config, config_update_kinds, unknown_config_update> value;
  friend bool operator==(const config_update_req&, const config_update_req&) = default;
};

// Empty on the wire: decoding rejects any byte in the body.
struct config_update_ans {
  friend bool operator==(const config_update_ans&, const config_update_ans&) = default;
};

void encode(byte_writer& w, const config_update_req& v);
void decode(byte_reader& r, config_update_req& v);
void encode(byte_writer& w, const config_update_ans& v);
void decode(byte_reader& r, config_update_ans& v);

}  // namespace p2psip::wire
