// What the TURN server did, for metrics: allocations, traffic each way, and
// every refusal by its reason.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace p2psip::nat {

enum class refusal : std::uint8_t {
  malformed,              // not STUN or ChannelData, or a stream out of sync: dropped
  no_credentials,         // 401 to a request without MESSAGE-INTEGRITY
  bad_credentials,        // 401: unknown or expired username, or a wrong HMAC
  stale_nonce,            // 438
  bad_request,            // 400
  unknown_attribute,      // 420
  allocation_mismatch,    // 437
  wrong_credentials,      // 441: another user's allocation
  unsupported_family,     // 440: a relay of an address family not served
  unsupported_transport,  // 442
  quota_reached,          // 486: too many allocations for one user
  insufficient_capacity,  // 508: too many allocations, or no relay port free
  forbidden_peer,         // 403: the peer policy refused the address
  no_allocation,          // Send indication or ChannelData with no allocation: dropped
  no_permission,          // data to or from a peer without permission: dropped
  unbound_channel,        // ChannelData on a channel not bound: dropped
  bandwidth,              // over the allocation's bandwidth: dropped
  connection_limit,       // a TCP or TLS client past max_stream_connections: closed
  count_
};
inline constexpr std::size_t refusal_count = static_cast<std::size_t>(refusal::count_);

const char* to_string(refusal r) noexcept;

struct traffic {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  void add(std::size_t n) noexcept {
    ++packets;
    bytes += n;
  }
};

struct turn_counters {
  std::uint64_t allocations_created = 0;
  std::uint64_t allocations_ended = 0;
  traffic to_peers;
  traffic from_peers;
  std::array<std::uint64_t, refusal_count> refusals{};

  std::uint64_t refused(refusal r) const noexcept { return refusals[static_cast<std::size_t>(r)]; }
};

}  // namespace p2psip::nat
