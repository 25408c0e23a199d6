// The identity layer's one error type and the result every fallible call
// returns. Verification failures have distinct codes so callers (and tests)
// can tell a forged signature from an expired certificate.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "wire/basic_result.hpp"

namespace p2psip::identity {

enum class identity_errc {
  io_error = 1,                  // a file could not be read or written
  insecure_key_file,             // private key file readable by group/others
  malformed_key,                 // PEM/DER that is not a private/public key
  unsupported_key,               // a key type other than EC P-256 or RSA >= 2048
  malformed_certificate,         // not a parsable X.509 certificate
  malformed_request,             // not a parsable, self-consistent PKCS#10 CSR
  request_asks_for_node_id,      // the CSR names a Node-ID: only the CA picks them
  invalid_user_name,             // not an acceptable rfc822Name user name
  key_certificate_mismatch,      // the certificate is not for this key
  crypto_failure,                // OpenSSL failed on well-formed input
  // Signature and certificate verification (§6.3.4, §7.1, §11.3, §11.3.1).
  unsupported_algorithm,         // SignatureAndHashAlgorithm we do not accept
  invalid_signer_identity,       // SignerIdentity type/hash unusable for lookup
  unknown_signer,                // no certificate matches the signer's cert hash
  bad_signature,                 // the signature does not verify
  certificate_expired,
  certificate_not_yet_valid,
  untrusted_chain,               // the chain does not reach the overlay's root
  node_id_not_in_certificate,    // the signer claims a Node-ID its cert lacks
  self_signed_forbidden,         // self-signed certificate, overlay forbids them
  self_signed_node_id_mismatch,  // self-signed Node-ID not derived from its key
  // Enrollment (§11.3).
  enrollment_transport,          // could not reach/authenticate the server
  enrollment_refused,            // the server answered with an error
};

const char* to_string(identity_errc code) noexcept;

struct identity_error {
  identity_errc code{};
  std::string detail;  // what failed, for logs; never needed to branch on

  std::string describe() const;
  friend bool operator==(const identity_error& a, const identity_error& b) {
    return a.code == b.code;
  }
};

// An error carrying whatever OpenSSL left on its error queue (which it drains).
identity_error openssl_error(identity_errc code, std::string what);

// A value or an identity_error; nothing in this layer throws for bad input.
template <class T>
using result = wire::basic_result<T, identity_error>;

// Success or an error, for operations with no value.
class [[nodiscard]] status {
 public:
  status() = default;
  status(identity_error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const identity_error& error() const { return *error_; }

 private:
  std::optional<identity_error> error_;
};

}  // namespace p2psip::identity
