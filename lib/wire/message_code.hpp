// RELOAD message codes, RFC 6940 §14.8. A request code is odd; its answer is
// the next code up.
#pragma once

#include <cstdint>

namespace p2psip::wire {

enum class message_code : std::uint16_t {
  invalid = 0x0,
  probe_req = 0x1,
  probe_ans = 0x2,
  attach_req = 0x3,
  attach_ans = 0x4,
  store_req = 0x7,
  store_ans = 0x8,
  fetch_req = 0x9,
  fetch_ans = 0xa,
  find_req = 0xd,
  find_ans = 0xe,
  join_req = 0xf,
  join_ans = 0x10,
  leave_req = 0x11,
  leave_ans = 0x12,
  update_req = 0x13,
  update_ans = 0x14,
  route_query_req = 0x15,
  route_query_ans = 0x16,
  ping_req = 0x17,
  ping_ans = 0x18,
  stat_req = 0x19,
  stat_ans = 0x1a,
  app_attach_req = 0x1d,
  app_attach_ans = 0x1e,
  config_update_req = 0x21,
  config_update_ans = 0x22,
  exp_a_req = 0x23,
  exp_a_ans = 0x24,
  exp_b_req = 0x25,
  exp_b_ans = 0x26,
  error = 0xffff,
};

constexpr bool is_request(message_code c) noexcept {
  const auto v = static_cast<std::uint16_t>(c);
  return v != 0xffff && (v & 1) == 1;
}

constexpr message_code answer_code(message_code request) noexcept {
  return static_cast<message_code>(static_cast<std::uint16_t>(request) + 1);
}

const char* to_string(message_code c) noexcept;

}  // namespace p2psip::wire
