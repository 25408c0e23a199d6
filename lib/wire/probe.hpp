// Probe bodies, RFC 6940 §6.4.2.5.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

namespace p2psip::wire {

// An IANA registry (§14.13): a ProbeReq may name types this node does not
// know, which the responder skips, so any value but 0 decodes.
enum class probe_information_type : std::uint8_t {
  invalid = 0,
  responsible_set = 1,
  num_resources = 2,
  uptime = 3,
  exp_probe = 4,
};

struct probe_req {
  std::vector<probe_information_type> requested_info;  // <0..2^8-1> bytes
  friend bool operator==(const probe_req&, const probe_req&) = default;
};

struct probe_responsible_set {
  std::uint32_t responsible_ppb = 0;  // parts per billion of the overlay
  friend bool operator==(const probe_responsible_set&, const probe_responsible_set&) = default;
};

struct probe_num_resources {
  std::uint32_t num_resources = 0;
  friend bool operator==(const probe_num_resources&, const probe_num_resources&) = default;
};

struct probe_uptime {
  std::uint32_t uptime = 0;  // seconds
  friend bool operator==(const probe_uptime&, const probe_uptime&) = default;
};

// "This type may be extended": the length lets a node keep and skip it.
struct unknown_probe_information {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;  // at most 255 bytes
  friend bool operator==(const unknown_probe_information&,
                         const unknown_probe_information&) = default;
};

struct probe_information {
  std::variant<probe_responsible_set, probe_num_resources, probe_uptime, unknown_probe_information>
      value;
  friend bool operator==(const probe_information&, const probe_information&) = default;
};

struct probe_ans {
  std::vector<probe_information> probe_info;  // <0..2^16-1> bytes
  friend bool operator==(const probe_ans&, const probe_ans&) = default;
};

void encode(byte_writer& w, const probe_req& v);
void decode(byte_reader& r, probe_req& v);
void encode(byte_writer& w, const probe_information& v);
void decode(byte_reader& r, probe_information& v);
void encode(byte_writer& w, const probe_ans& v);
void decode(byte_reader& r, probe_ans& v);

}  // namespace p2psip::wire
