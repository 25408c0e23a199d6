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

// Handshake flight retransmission on DTLS links (RFC 6347 §4.2.4): the first
// resend after `initial`, then doubling up to `maximum`; after `limit` resends
// of one flight without an answer the handshake fails.
struct flight_timing {
  milliseconds initial{1000};
  milliseconds maximum{8000};
  unsigned limit = 6;
};

// DTLS-UDP-SR links: Simple Reliability (RFC 6940 §6.6.3) over DTLS.
struct datagram_link_config {
  // §6.6.3.1: a message goes out at most this often in all (the first send
  // and four retransmissions, each after twice the wait before), then the
  // link is closed as failed.
  unsigned max_transmissions = 5;
  // §6.6.3.1: no ACK by the third retransmission takes the link out of the
  // Routing Table until ACKs resume.
  unsigned unresponsive_after_retransmissions = 3;
  // Messages awaiting their ACK at once; 1 is §6.6.3.1's stop and wait.
  std::size_t messages_in_flight = 1;
  // §6.6.3.1: the wait between receiving an ACK and sending the next message.
  milliseconds ack_spacing{10};
  // A message whose ACK was lost arrives again under a new sequence number;
  // the same bytes from the same peer within this window are dropped. Kept
  // below RELOAD's end-to-end retransmission time (overlay-reliability-timer,
  // 3 s) so a request the originator retransmits still goes through; 0 keeps
  // every copy (RFC 6940 §6.2.1 makes receivers tolerate them).
  milliseconds duplicate_window{2000};
  flight_timing handshake;
};

struct link_config {
  // Overlay max-message-size (RFC 6940 §11.1 default).
  std::size_t max_message_size = 5000;
  milliseconds handshake_timeout{10000};
  // Idle time after which a keepalive goes out, so failures are noticed on
  // quiet links too.
  milliseconds keepalive_interval{5000};
  // The same on paths that check liveness themselves (ICE consent): the
  // overlay's Ping then only shows that the peer's overlay still answers,
  // and one every 5 s per link was most of an idle daemon's wake-ups.
  milliseconds checked_path_keepalive_interval{25000};
  // No ACK for this long closes the link; §6.6.5 recommends 30 s.
  milliseconds failure_timeout{30000};
  rto_bounds rto;
  datagram_link_config datagram;
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
