// One TLS connection driven entirely through memory BIOs: ciphertext goes in
// and out as byte buffers, so it runs over any byte stream. Both sides must
// present a certificate; the peer's is judged by the peer_authenticator alone,
// inside the handshake, so a refused peer gets an alert and never reaches the
// established state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "identity/openssl_handles.hpp"
#include "link/peer_verification.hpp"
#include "link/tls_context.hpp"
#include "wire/byte_reader.hpp"
#include "wire/ids.hpp"

namespace p2psip::link {

enum class tls_role { client, server };
enum class tls_state { handshaking, established, closed, failed };

class tls_session {
 public:
  // With expected_peer set, the authenticator requires the peer's certificate
  // to carry that Node-ID.
  tls_session(const tls_context& context, tls_role role,
              std::optional<wire::node_id> expected_peer);
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  // The client's first flight goes to the output.
  void start();
  // Feeds ciphertext from the peer; advances the handshake and appends any
  // decrypted application data to `plaintext`.
  tls_state receive(wire::bytes_view ciphertext, std::vector<std::uint8_t>& plaintext);
  // Encrypts application data into the output; false unless established.
  bool send(wire::bytes_view plaintext);
  // Queues close_notify; the session then accepts no more data.
  void close();

  bool has_output() const noexcept;
  // Ciphertext produced since the last call, for the byte stream.
  std::vector<std::uint8_t> take_output();

  tls_state state() const noexcept { return state_; }
  const std::string& failure() const noexcept { return failure_; }
  // Set once the peer is authenticated (during the handshake).
  const std::vector<wire::node_id>& peer_node_ids() const noexcept {
    return verification_.peer_node_ids();
  }
  // e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
  std::string protocol() const;

 private:
  // Swaps a drained, oversized memory BIO for a new one (install: SSL_set0_rbio/wbio).
  void replace_bio(BIO*& bio, void (*install)(SSL*, BIO*));
  void on_error(int ret);
  void fail(std::string reason);

  peer_verification verification_;
  identity::ssl_ptr ssl_;
  BIO* input_ = nullptr;   // owned by ssl_: ciphertext from the peer
  BIO* output_ = nullptr;  // owned by ssl_: ciphertext for the peer
  tls_state state_ = tls_state::handshaking;
  std::string failure_;
};

}  // namespace p2psip::link
