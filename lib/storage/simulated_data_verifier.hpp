// SIMULATOR ONLY: a stored_data_verifier without public-key cryptography, so
// that p2psip-sim can run 10,000 storing nodes in one process.
//
// The "signature" is no proof of anything. The SignerIdentity carries the
// signer itself (type simulated_identity_type, value Node-ID || user name) and
// the signature value is a 64-bit FNV-1a checksum of the §7.1 signature input.
// The checksum catches data changed after signing, and the claimed signer
// still has to satisfy the Kind's access policy, so a node storing under its
// own identity at someone else's resource is refused exactly as in the
// daemon. But anybody can claim any identity and recompute the checksum: never
// accept these signatures from a real network. The daemon uses
// certificate_data_verifier, whose signature_verifier refuses this identity
// type.
#pragma once

#include <cstdint>

#include "storage/stored_data_verifier.hpp"

namespace p2psip::storage {

// A SignerIdentityType from the "may be extended" space, unassigned by IANA.
inline constexpr std::uint8_t simulated_identity_type = 0xfe;

// Sets data.signature as `as` for data stored at resource/kind. Fails (false)
// only if the data cannot be encoded (a field beyond its wire bound).
[[nodiscard]] bool sign_simulated(const wire::resource_id& resource, wire::kind_id kind,
                                  wire::stored_data& data, const signer& as);

class simulated_data_verifier final : public stored_data_verifier {
 public:
  verify_result verify(const wire::resource_id& resource, wire::kind_id kind,
                       const wire::stored_data& data,
                       std::span<const wire::generic_certificate> certificates,
                       time_point now) override;

  // No certificates exist in the simulation.
  std::vector<wire::generic_certificate> certificates_for(
      const wire::store_req& request) const override;
};

}  // namespace p2psip::storage
