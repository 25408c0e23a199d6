#include "nat/stun_reply.hpp"

#include <algorithm>

#include "nat/stun_attributes.hpp"

namespace p2psip::nat {

std::string_view reason_phrase(std::uint16_t code) noexcept {
  switch (code) {
    case stun_code::bad_request: return "Bad Request";
    case stun_code::unauthorized: return "Unauthorized";
    case stun_code::forbidden: return "Forbidden";
    case stun_code::unknown_attribute: return "Unknown Attribute";
    case stun_code::allocation_mismatch: return "Allocation Mismatch";
    case stun_code::stale_nonce: return "Stale Nonce";
    case stun_code::address_family_not_supported: return "Address Family not Supported";
    case stun_code::wrong_credentials: return "Wrong Credentials";
    case stun_code::unsupported_transport: return "Unsupported Transport Protocol";
    case stun_code::allocation_quota_reached: return "Allocation Quota Reached";
    case stun_code::server_error: return "Server Error";
    case stun_code::insufficient_capacity: return "Insufficient Capacity";
  }
  return "Error";
}

stun_writer start_reply(const stun_message& request, stun_class klass) {
  return stun_writer(klass, request.method, request.id);
}

void add_error(stun_writer& w, std::uint16_t code) {
  add_error_code(w, code, reason_phrase(code));
}

std::vector<std::uint16_t> unknown_required(const stun_message& message,
                                            std::span<const std::uint16_t> known) {
  std::vector<std::uint16_t> unknown;
  for (const auto& a : message.attributes) {
    if (comprehension_required(a.type) &&
        std::find(known.begin(), known.end(), a.type) == known.end() &&
        std::find(unknown.begin(), unknown.end(), a.type) == unknown.end()) {
      unknown.push_back(a.type);
    }
  }
  return unknown;
}

std::vector<std::uint8_t> error_reply(const stun_message& request, std::uint16_t code,
                                      std::span<const std::uint16_t> unknown) {
  auto w = start_reply(request, stun_class::error);
  add_error(w, code);
  if (!unknown.empty()) add_unknown_attributes(w, unknown);
  w.add_fingerprint();
  return std::move(w).take();
}

}  // namespace p2psip::nat
