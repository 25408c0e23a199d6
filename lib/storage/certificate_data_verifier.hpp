// The daemon's stored_data_verifier: real X.509 certificates and ECDSA/RSA
// signatures through identity::signature_verifier, under the overlay's trust
// policy (CA-enrolled or self-signed).
#pragma once

#include "identity/certificate_cache.hpp"
#include "identity/signature_verifier.hpp"
#include "storage/stored_data_verifier.hpp"

namespace p2psip::storage {

// The access-control view of a verified signer.
signer to_signer(const identity::verified_signer& verified);

class certificate_data_verifier final : public stored_data_verifier {
 public:
  // Both must outlive this object; `cache` should be the one `signatures`
  // fills, so that certificates_for() finds every signer verified so far.
  certificate_data_verifier(identity::signature_verifier& signatures,
                            const identity::certificate_cache& cache) noexcept
      : signatures_(signatures), cache_(cache) {}

  verify_result verify(const wire::resource_id& resource, wire::kind_id kind,
                       const wire::stored_data& data,
                       std::span<const wire::generic_certificate> certificates,
                       time_point now) override;

  // The signers' certificates from the cache, each once. The cache is
  // bounded, so a signer evicted from it is missing (the receiver may still
  // have it cached itself).
  std::vector<wire::generic_certificate> certificates_for(
      const wire::store_req& request) const override;

 private:
  identity::signature_verifier& signatures_;
  const identity::certificate_cache& cache_;
};

}  // namespace p2psip::storage
