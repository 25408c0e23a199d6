// The seam between TLS and the identity layer. OpenSSL's own chain check is
// replaced by this call: it alone decides whether the peer's certificate
// speaks for Node-IDs in this overlay (RFC 6940 §13.6.3), in CA-enrolled and
// in self-signed mode alike, and which Node-IDs the peer has proven.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <openssl/x509.h>

#include "wire/ids.hpp"

namespace p2psip::link {

// Views valid only during the call.
struct peer_certificates {
  X509& leaf;
  // As the peer sent it, unverified; may repeat the leaf.
  STACK_OF(X509) * chain;
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
  // Called once per handshake, on the link's thread; must not block. With
  // expected_peer set (we dialled a known Node-ID) the certificate must carry it.
  virtual authentication_result authenticate(
      const peer_certificates& peer, const std::optional<wire::node_id>& expected_peer) const = 0;
};

}  // namespace p2psip::link
