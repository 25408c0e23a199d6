// An X.509 certificate as RELOAD uses it (§11.3): Node-IDs as reload: URIs and
// the user name as an rfc822Name, both in the subjectAltName. Immutable and
// cheap to copy (the X509 object is reference-counted).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "identity/digest.hpp"
#include "identity/identity_error.hpp"
#include "identity/openssl_handles.hpp"
#include "identity/reload_uri.hpp"
#include "wire/ids.hpp"
#include "wire/security_block.hpp"

namespace p2psip::identity {

using time_point = std::chrono::system_clock::time_point;

class node_certificate {
 public:
  static result<node_certificate> from_der(byte_span der);
  // The first certificate in a PEM text.
  static result<node_certificate> from_pem(std::string_view pem);
  // Every certificate in a PEM text (a chain or a root bundle), at least one.
  static result<std::vector<node_certificate>> all_from_pem(std::string_view pem);
  static result<std::vector<node_certificate>> load_all(const std::filesystem::path& path);
  static result<node_certificate> load(const std::filesystem::path& path);
  // Takes a new reference: the caller keeps its own (e.g. from SSL_get0_peer_certificate).
  static result<node_certificate> from_native(X509* cert);

  const std::vector<std::uint8_t>& der() const noexcept { return der_; }
  std::string to_pem() const;  // empty only if OpenSSL runs out of memory
  status save(const std::filesystem::path& path) const;  // atomically, mode 0644

  // Every reload: Node URI in the subjectAltName, in certificate order.
  const std::vector<node_uri>& node_uris() const noexcept { return node_uris_; }
  std::vector<wire::node_id> node_ids() const;
  bool has_node_id(const wire::node_id& node) const noexcept;
  // The rfc822Name, if the certificate has one.
  const std::optional<std::string>& user_name() const noexcept { return user_name_; }

  // Issuer and subject match and, if present, the key identifiers too.
  bool is_self_issued() const noexcept;
  // identity_errc::certificate_expired / certificate_not_yet_valid, or ok.
  status check_validity(time_point now) const;
  // notBefore and notAfter, to the second.
  time_point not_before() const noexcept;
  time_point not_after() const noexcept;

  // SignerIdentity cert_hash: H(DER certificate) (§6.3.4).
  result<std::vector<std::uint8_t>> hash(wire::hash_algorithm algorithm) const;
  // SignerIdentity cert_hash_node_id: H(NodeId || DER certificate) (§6.3.4).
  result<std::vector<std::uint8_t>> node_id_hash(wire::hash_algorithm algorithm,
                                                 const wire::node_id& node) const;

  X509* native() const noexcept { return cert_.get(); }
  EVP_PKEY* public_key() const noexcept { return X509_get0_pubkey(cert_.get()); }

  node_certificate(const node_certificate& other);
  node_certificate& operator=(const node_certificate& other);
  node_certificate(node_certificate&&) noexcept = default;
  node_certificate& operator=(node_certificate&&) noexcept = default;
  ~node_certificate() = default;

  friend bool operator==(const node_certificate& a, const node_certificate& b) {
    return a.der_ == b.der_;
  }

 private:
  node_certificate() = default;
  static result<node_certificate> adopt(x509_ptr cert);

  x509_ptr cert_;
  std::vector<std::uint8_t> der_;
  std::vector<node_uri> node_uris_;
  std::optional<std::string> user_name_;
};

// Users may name themselves only with printable, unambiguous characters:
// local@domain, ASCII letters, digits and ".-_+", at most 254 bytes (§11.3
// asks servers to allow "only legal characters").
bool is_valid_user_name(std::string_view name) noexcept;

// Renewal starts once two thirds of a certificate's lifetime have passed.
bool due_for_renewal(const node_certificate& cert, time_point now);

}  // namespace p2psip::identity
