#include "overlay/message_security.hpp"

namespace p2psip::overlay {

std::optional<wire::security_block> unsigned_message_security::sign(
    wire::overlay_hash, wire::transaction_id, const wire::message_contents&) {
  wire::security_block block;
  block.signature.algorithm = {wire::hash_algorithm::none, wire::signature_algorithm::anonymous};
  block.signature.identity.type =
      static_cast<std::uint8_t>(wire::signer_identity_type::cert_hash_node_id);
  block.signature.identity.hash.assign(self_.bytes().begin(), self_.bytes().end());
  return block;
}

wire::basic_result<node_id, security_error> unsigned_message_security::verify(
    const wire::message& message) {
  const auto& signature = message.security.signature;
  const auto signer = node_id::from_span(signature.identity.hash);
  if (signature.identity.type !=
          static_cast<std::uint8_t>(wire::signer_identity_type::cert_hash_node_id) ||
      !signer) {
    return security_error{"unsigned mode: SignerIdentity does not name a Node-ID"};
  }
  return *signer;
}

}  // namespace p2psip::overlay
