// Real message signatures for p2psipd: signs with this node's certificate
// and verifies with the overlay's trust policy (RFC 6940 §6.3.4), through the
// identity layer. The clock is injected: certificate validity needs wall time.
#pragma once

#include <functional>

#include "identity/message_signer.hpp"
#include "identity/signature_verifier.hpp"
#include "overlay/message_security.hpp"

namespace p2psip::overlay {

class identity_message_security final : public message_security {
 public:
  using wall_clock = std::function<identity::time_point()>;
  // Both must outlive this object; both serve one thread.
  identity_message_security(identity::message_signer& signer, identity::signature_verifier& verifier,
                            wall_clock clock)
      : signer_(signer), verifier_(verifier), clock_(std::move(clock)) {}

  std::optional<wire::security_block> sign(wire::overlay_hash overlay,
                                           wire::transaction_id transaction,
                                           const wire::message_contents& contents) override;
  wire::basic_result<node_id, security_error> verify(const wire::message& message) override;

 private:
  identity::message_signer& signer_;
  identity::signature_verifier& verifier_;
  wall_clock clock_;
};

}  // namespace p2psip::overlay
