#include "nat/turn_counters.hpp"

namespace p2psip::nat {

const char* to_string(refusal r) noexcept {
  switch (r) {
    case refusal::malformed: return "malformed";
    case refusal::no_credentials: return "no_credentials";
    case refusal::bad_credentials: return "bad_credentials";
    case refusal::stale_nonce: return "stale_nonce";
    case refusal::bad_request: return "bad_request";
    case refusal::unknown_attribute: return "unknown_attribute";
    case refusal::allocation_mismatch: return "allocation_mismatch";
    case refusal::wrong_credentials: return "wrong_credentials";
    case refusal::unsupported_family: return "unsupported_family";
    case refusal::unsupported_transport: return "unsupported_transport";
    case refusal::quota_reached: return "quota_reached";
    case refusal::insufficient_capacity: return "insufficient_capacity";
    case refusal::forbidden_peer: return "forbidden_peer";
    case refusal::no_allocation: return "no_allocation";
    case refusal::no_permission: return "no_permission";
    case refusal::unbound_channel: return "unbound_channel";
    case refusal::bandwidth: return "bandwidth";
    case refusal::connection_limit: return "connection_limit";
    case refusal::count_: break;
  }
  return "unknown";
}

}  // namespace p2psip::nat
