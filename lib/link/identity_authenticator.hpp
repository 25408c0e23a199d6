// The overlay's peer_authenticator: the identity layer's certificate_verifier
// under the overlay's trust_policy decides every TLS peer, so links accept
// exactly the certificates that signatures are accepted from — chained to a
// root-cert, or self-signed with key-derived Node-IDs where permitted (§11.3,
// §11.3.1) — and only while they are valid.
#pragma once

#include <functional>

#include "identity/certificate_verifier.hpp"
#include "link/peer_authenticator.hpp"

namespace p2psip::link {

// Certificates are judged against wall-clock time, unlike the link timers.
using wall_clock_source = std::function<identity::time_point()>;

class identity_authenticator final : public peer_authenticator {
 public:
  // The verifier must outlive the authenticator.
  explicit identity_authenticator(
      const identity::certificate_verifier& verifier,
      wall_clock_source clock = [] { return std::chrono::system_clock::now(); });

  authentication_result authenticate(
      const peer_certificates& peer,
      const std::optional<wire::node_id>& expected_peer) const override;

 private:
  const identity::certificate_verifier& verifier_;
  wall_clock_source clock_;
};

}  // namespace p2psip::link
