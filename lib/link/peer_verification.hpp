// The peer check both TLS and DTLS sessions run inside their handshakes:
// OpenSSL's chain verification is replaced by the peer_authenticator's
// verdict, so a refused peer gets an alert and never reaches the established
// state, whichever record protocol carries the link.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "link/peer_authenticator.hpp"
#include "wire/ids.hpp"

namespace p2psip::link {

class peer_verification {
 public:
  // With expected_peer set, the authenticator requires the peer's certificate
  // to carry that Node-ID.
  peer_verification(const peer_authenticator& authenticator,
                    std::optional<wire::node_id> expected_peer);
  peer_verification(const peer_verification&) = delete;
  peer_verification& operator=(const peer_verification&) = delete;

  // Makes `ssl` demand a peer certificate and judge it through this object,
  // which must outlive the handshake.
  void attach(SSL* ssl);
  // What every SSL_CTX installs in place of OpenSSL's chain verification.
  static int verify_callback(X509_STORE_CTX* store, void* unused);

  const std::optional<wire::node_id>& expected_peer() const noexcept { return expected_peer_; }
  // Set once the peer is authenticated (during the handshake).
  const std::vector<wire::node_id>& peer_node_ids() const noexcept { return peer_ids_; }
  // Why a failed handshake failed: the authenticator's refusal when there was
  // one, otherwise OpenSSL's errors under `protocol` ("TLS", "DTLS").
  std::string failure_reason(const char* protocol) const;

 private:
  bool authenticate(X509_STORE_CTX* store);

  const peer_authenticator& authenticator_;
  std::optional<wire::node_id> expected_peer_;
  std::string rejection_;  // why the authenticator refused the peer
  std::vector<wire::node_id> peer_ids_;
};

}  // namespace p2psip::link
