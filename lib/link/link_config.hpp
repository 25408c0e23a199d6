// Tunables for overlay links. Defaults follow RFC 6940 where it gives one.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>

namespace p2psip::link {

using std::chrono::milliseconds;

// RFC 6298 §2 bounds for the link RTO (RFC 6940 §6.6.5 uses it as the
// "remove from the Routing Table" timeout, rounded to milliseconds).
struct rto_bounds {
  milliseconds initial{1000};   // RFC 6298 (2.1)
  milliseconds minimum{200};    // below RFC 6298's 1 s: §6.6.3.1 rounds to ms
  milliseconds maximum{60000};  // RFC 6298 (2.5)
};

struct link_config {
  // Overlay max-message-size (RFC 6940 §11.1 default).
  std::size_t max_message_size = 5000;
  milliseconds handshake_timeout{10000};
  // Idle time after which a keepalive goes out, so failures are noticed on
  // quiet links too.
  milliseconds keepalive_interval{5000};
  // No ACK for this long closes the link; §6.6.5 recommends 30 s.
  milliseconds failure_timeout{30000};
  rto_bounds rto;
  // How often the connection table checks timers.
  milliseconds tick_interval{100};

  // Back-pressure: messages waiting for the transport, per link.
  std::size_t send_queue_messages = 1024;
  std::size_t send_queue_bytes = std::size_t{1} << 20;
  // Frames sent but not yet ACKed; also bounds the sender's bookkeeping.
  std::size_t max_unacked_frames = 4096;
  // Stop handing frames to the transport above this many unsent bytes...
  std::size_t transport_high_water = std::size_t{256} << 10;
  // ...and close the link above this: the peer has stopped reading.
  std::size_t transport_backlog_limit = std::size_t{4} << 20;
  // When both ends dial each other at once, the link that loses the tie
  // still delivers for this long what the peer sent on it before it
  // switched to the kept one, then closes.
  milliseconds crossed_link_drain{5000};
  // How long a clean close waits for close_notify to be written.
  milliseconds close_linger{2000};

  // Debug only: write TLS secrets in SSLKEYLOGFILE format here. When unset,
  // the SSLKEYLOGFILE environment variable is used if present.
  std::optional<std::filesystem::path> keylog_file;
};

}  // namespace p2psip::link
