// Checks the signature of one StoredData (RFC 6940 §7.1) and says who signed
// it. The storage service asks this before any access-control decision. The
// daemon verifies real certificates and signatures
// (certificate_data_verifier); the simulator, which cannot afford public-key
// crypto for 10,000 nodes, uses simulated_data_verifier.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "storage/signer.hpp"
#include "wire/basic_result.hpp"
#include "wire/ids.hpp"
#include "wire/security_block.hpp"
#include "wire/store.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::storage {

// Wall-clock time, as StoredData.storage_time and certificate validity use.
using time_point = std::chrono::system_clock::time_point;

enum class verify_errc : std::uint8_t {
  unknown_signer,    // no certificate for the SignerIdentity, or a type we cannot use
  untrusted_signer,  // the certificate is expired, not yet valid or not trusted
  bad_signature,     // the signature does not cover this data
  unsupported,       // algorithm or encoding this verifier does not handle
};

const char* to_string(verify_errc code) noexcept;

struct verify_error {
  verify_errc code{};
  std::string detail;  // for error_info and logs
  std::string describe() const;
};

using verify_result = wire::basic_result<signer, verify_error>;

class stored_data_verifier {
 public:
  virtual ~stored_data_verifier() = default;

  // `certificates` is the SecurityBlock bucket of the message carrying `data`.
  virtual verify_result verify(const wire::resource_id& resource, wire::kind_id kind,
                               const wire::stored_data& data,
                               std::span<const wire::generic_certificate> certificates,
                               time_point now) = 0;

  // The certificates a receiver needs to verify `request`'s values again
  // (for the SecurityBlock of a replica or migration Store), as far as this
  // verifier still knows them. Empty where no certificates exist.
  virtual std::vector<wire::generic_certificate> certificates_for(
      const wire::store_req& request) const = 0;
};

}  // namespace p2psip::storage
