// One DTLS 1.2 association driven entirely through memory: datagrams go in
// and out as buffers, one datagram per OpenSSL write, none larger than the
// path MTU, so it runs over any datagram_path (an ICE pair, UDP, a test
// pair). Peers are judged exactly as on TLS links (peer_verification).
//
// Time is the caller's: OpenSSL 3.0's own DTLS timer reads the wall clock and
// fires by itself inside SSL_read, which an injected clock cannot drive. So
// OpenSSL's timer is pushed out of reach and this session resends a lost
// flight itself, as the same datagrams, when the caller's timer says so
// (retransmit_at / on_timer). A resent copy is to the peer what a network
// duplicate is: its replay window drops what it already has.
//
// No cookie exchange (HelloVerifyRequest): on ICE paths the connectivity
// checks, authenticated with the credentials swapped in the signed Attach,
// already proved that the peer answers at its address, which is what the
// cookie's protection against spoofed-source amplification would prove.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "identity/openssl_handles.hpp"
#include "link/datagram_path.hpp"
#include "link/link_clock.hpp"
#include "link/link_config.hpp"
#include "link/peer_verification.hpp"
#include "link/tls_context.hpp"
#include "link/tls_session.hpp"
#include "wire/byte_reader.hpp"

namespace p2psip::link {

class dtls_session {
 public:
  // Bytes a DTLS 1.2 record adds to its plaintext with the suites the
  // context allows: 13 of header, and AES-GCM's 8-byte explicit nonce and
  // 16-byte tag (ChaCha20-Poly1305 adds less).
  static constexpr std::size_t max_record_overhead = 13 + 8 + 16;

  // The context must serve tls_transport::datagram. Throws tls_error, also
  // when path_mtu is below what DTLS can work with.
  dtls_session(const tls_context& context, tls_role role,
               std::optional<wire::node_id> expected_peer, std::size_t path_mtu,
               flight_timing timing);
  ~dtls_session();
  dtls_session(const dtls_session&) = delete;
  dtls_session& operator=(const dtls_session&) = delete;

  // The client's first flight goes to the output.
  void start(link_time now);
  // One datagram from the peer: advances the handshake, appends each
  // decrypted record to `records`.
  tls_state receive(wire::bytes_view input, link_time now,
                    std::vector<std::vector<std::uint8_t>>& records);
  // Encrypts one record (one datagram); false unless established and
  // `plaintext` fits max_record_plaintext().
  bool send(wire::bytes_view plaintext);
  // Queues close_notify; the session then accepts no more data.
  void close();

  // When the current flight is due to be resent, if one awaits an answer.
  std::optional<link_time> retransmit_at() const noexcept { return retransmit_at_; }
  // Resends the flight if due; fails the session after the limit.
  void on_timer(link_time now);

  // Datagrams produced since the last call, each within the path MTU.
  std::vector<datagram_buffer> take_datagrams();

  std::size_t max_record_plaintext() const noexcept { return path_mtu_ - max_record_overhead; }
  tls_state state() const noexcept { return state_; }
  const std::string& failure() const noexcept { return failure_; }
  const std::vector<wire::node_id>& peer_node_ids() const noexcept {
    return verification_.peer_node_ids();
  }
  // e.g. "DTLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384".
  std::string protocol() const;
  std::uint64_t flight_retransmissions() const noexcept { return total_resends_; }

 private:
  // What the custom BIO reads from and writes to.
  struct datagram_queues {
    std::optional<wire::bytes_view> incoming;  // the datagram being fed, read once
    std::vector<datagram_buffer> outgoing;
  };
  static BIO* new_datagram_bio(datagram_queues& queues);

  void advance(link_time now, std::vector<std::vector<std::uint8_t>>& records);
  // Datagrams written since `first_new` form the flight now awaiting an answer.
  void begin_flight(std::size_t first_new, link_time now);
  void end_flight();
  void on_error(int ret);
  void fail(std::string reason);

  peer_verification verification_;
  std::size_t path_mtu_;
  flight_timing timing_;
  datagram_queues queues_;
  identity::ssl_ptr ssl_;
  tls_state state_ = tls_state::handshaking;
  std::string failure_;

  std::vector<datagram_buffer> flight_;  // our last flight, resent until answered
  std::optional<link_time> retransmit_at_;
  milliseconds flight_timeout_{};
  unsigned flight_resends_ = 0;
  std::uint64_t total_resends_ = 0;
};

}  // namespace p2psip::link
