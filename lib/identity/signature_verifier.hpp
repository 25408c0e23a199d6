// Checks RELOAD signatures (§6.3.4, §7.1): finds the signer's certificate by
// its SignerIdentity among the SecurityBlock's certificates and the cache,
// verifies that certificate under the overlay's trust policy at `now`, then
// the signature itself. The first failure is returned with its own code.
#pragma once

#include <optional>
#include <span>

#include "identity/certificate_cache.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/verified_certificate_cache.hpp"
#include "wire/message_contents.hpp"
#include "wire/security_block.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::identity {

struct verified_signer {
  verified_identity identity;
  wire::node_id node;  // the Node-ID that signed
};

class signature_verifier {
 public:
  // Both must outlive the verifier; verified signers' certificates are added
  // to `cache` so later signatures may omit them, and the verdict on each is
  // kept (verified_certificate_cache) so that it is checked once.
  signature_verifier(const certificate_verifier& certificates, certificate_cache& cache) noexcept
      : certificates_(certificates), cache_(cache) {}

  // `claimed_sender`, when given (e.g. the first Via entry or the store's
  // owner), must be a Node-ID of the signer's certificate.
  result<verified_signer> verify_message(const wire::security_block& block,
                                         wire::overlay_hash overlay,
                                         wire::transaction_id transaction,
                                         byte_span encoded_message_contents,
                                         std::optional<wire::node_id> claimed_sender,
                                         time_point now);
  result<verified_signer> verify_message(const wire::security_block& block,
                                         wire::overlay_hash overlay,
                                         wire::transaction_id transaction,
                                         const wire::message_contents& contents,
                                         std::optional<wire::node_id> claimed_sender,
                                         time_point now);

  // `certificates` is the enclosing message's SecurityBlock bucket.
  result<verified_signer> verify_stored_data(const wire::resource_id& resource,
                                             wire::kind_id kind, const wire::stored_data& data,
                                             std::span<const wire::generic_certificate> certificates,
                                             std::optional<wire::node_id> claimed_owner,
                                             time_point now);

  // A SecurityBlock from message_signer::sign_blob over `blob`.
  result<verified_signer> verify_blob(const wire::security_block& block, byte_span blob,
                                      time_point now);

 private:
  result<verified_signer> verify(const wire::signature& signature,
                                 std::span<const wire::generic_certificate> certificates,
                                 std::initializer_list<byte_span> signed_parts,
                                 std::optional<wire::node_id> claimed, time_point now);
  result<verified_signer> resolve_signer(const wire::signer_identity& identity,
                                         std::span<const wire::generic_certificate> certificates,
                                         std::optional<wire::node_id> claimed, time_point now);
  // The Node-ID checks of §6.3.4 on a certificate already verified.
  static result<verified_signer> signer_of(const verified_identity& verified,
                                           const signer_match& match,
                                           std::optional<wire::node_id> claimed);

  const certificate_verifier& certificates_;
  certificate_cache& cache_;
  verified_certificate_cache verified_;  // verdicts of certificates_, hence one per verifier
};

}  // namespace p2psip::identity
