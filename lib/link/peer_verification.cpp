#include "link/peer_verification.hpp"

#include "link/tls_context.hpp"

namespace p2psip::link {

peer_verification::peer_verification(const peer_authenticator& authenticator,
                                     std::optional<wire::node_id> expected_peer)
    : authenticator_(authenticator), expected_peer_(expected_peer) {}

void peer_verification::attach(SSL* ssl) {
  SSL_set_app_data(ssl, this);
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
}

std::string peer_verification::failure_reason(const char* protocol) const {
  if (!rejection_.empty()) return rejection_;
  return std::string(protocol) + " error: " + take_openssl_errors();
}

int peer_verification::verify_callback(X509_STORE_CTX* store, void* /*unused*/) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = static_cast<peer_verification*>(SSL_get_app_data(ssl));
  if (self->authenticate(store)) return 1;
  // Sets the alert OpenSSL sends as it aborts the handshake.
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

bool peer_verification::authenticate(X509_STORE_CTX* store) {
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (leaf == nullptr) {
    rejection_ = "peer sent no certificate";
    return false;
  }
  auto result = authenticator_.authenticate(
      peer_certificates{*leaf, X509_STORE_CTX_get0_untrusted(store)}, expected_peer_);
  if (const auto* refused = std::get_if<authentication_failure>(&result)) {
    rejection_ = "peer authentication failed: " + refused->reason;
    return false;
  }
  auto& ids = std::get<authenticated_peer>(result).node_ids;
  if (ids.empty()) {
    rejection_ = "peer authentication failed: no Node-ID approved";
    return false;
  }
  peer_ids_ = std::move(ids);
  return true;
}

}  // namespace p2psip::link
