// Per-link counters, read by the control interface and the tests.
#pragma once

#include <cstdint>
#include <optional>

#include "link/link_clock.hpp"
#include "link/link_config.hpp"

namespace p2psip::link {

struct link_stats {
  std::uint64_t bytes_in = 0;  // (D)TLS records as they crossed the transport
  std::uint64_t bytes_out = 0;
  std::uint64_t messages_in = 0;  // overlay messages; keepalives are counted apart
  std::uint64_t messages_out = 0;
  std::uint64_t keepalives_in = 0;
  std::uint64_t keepalives_out = 0;
  std::uint64_t acks_in = 0;
  std::uint64_t acks_out = 0;
  std::uint64_t unknown_acks = 0;
  std::uint64_t lost_frames = 0;
  std::uint64_t sends_refused = 0;  // back-pressure: queue_full results
  // Datagram links: data frames sent again for want of an ACK, handshake
  // flights resent, and copies of delivered messages dropped.
  std::uint64_t retransmissions = 0;
  std::uint64_t flight_retransmissions = 0;
  std::uint64_t duplicates_dropped = 0;
  std::optional<link_duration> smoothed_rtt;
  milliseconds rto{};
};

}  // namespace p2psip::link
