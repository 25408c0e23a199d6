#include "nat/stun_error.hpp"

namespace p2psip::nat {

const char* to_string(stun_errc code) noexcept {
  switch (code) {
    case stun_errc::truncated: return "truncated";
    case stun_errc::not_stun: return "not_stun";
    case stun_errc::bad_length: return "bad_length";
    case stun_errc::attribute_past_end: return "attribute_past_end";
    case stun_errc::bad_attribute: return "bad_attribute";
    case stun_errc::fingerprint_not_last: return "fingerprint_not_last";
    case stun_errc::fingerprint_mismatch: return "fingerprint_mismatch";
    case stun_errc::not_channel_data: return "not_channel_data";
  }
  return "unknown";
}

std::string stun_error::describe() const {
  return std::string(to_string(code)) + " at byte " + std::to_string(offset);
}

}  // namespace p2psip::nat
