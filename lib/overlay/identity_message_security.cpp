#include "overlay/identity_message_security.hpp"

namespace p2psip::overlay {

std::optional<wire::security_block> identity_message_security::sign(
    wire::overlay_hash overlay, wire::transaction_id transaction,
    const wire::message_contents& contents) {
  auto signature = signer_.sign_message(overlay, transaction, contents);
  if (!signature) return std::nullopt;
  wire::security_block block;
  // The certificate travels with every message so that any peer can verify
  // without a CERTIFICATE_BY_NODE fetch first.
  block.certificates.push_back(signer_.generic_certificate());
  block.signature = std::move(*signature);
  return block;
}

wire::basic_result<node_id, security_error> identity_message_security::verify(
    const wire::message& message) {
  auto signer = verifier_.verify_message(message.security, message.header.overlay,
                                         message.header.transaction_id, message.contents,
                                         std::nullopt, clock_());
  if (!signer) return security_error{signer.error().describe()};
  return signer->node;
}

}  // namespace p2psip::overlay
