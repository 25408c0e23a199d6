// The seam between TLS and the identity layer: after OpenSSL has verified the
// peer's chain against the trust roots, this decides which Node-IDs the peer
// has proven (RFC 6940 §13.6.3), or why it is refused.
#pragma once

#include <span>
#include <string>
#include <variant>
#include <vector>

#include <openssl/x509.h>

#include "wire/ids.hpp"

namespace p2psip::link {

// Views valid only during the call. chain is the verified chain, leaf first.
struct peer_certificates {
  X509& leaf;
  std::span<X509* const> chain;
};

struct authenticated_peer {
  std::vector<wire::node_id> node_ids;
};

struct authentication_failure {
  std::string reason;
};

using authentication_result = std::variant<authenticated_peer, authentication_failure>;

class peer_authenticator {
 public:
  virtual ~peer_authenticator() = default;
  // Called on the link's thread during the handshake; must not block.
  virtual authentication_result authenticate(const peer_certificates& peer) const = 0;
};

}  // namespace p2psip::link
