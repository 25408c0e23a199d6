// Issues X.509 certificates: node certificates (§11.3: empty subject, only
// reload: Node URIs and one rfc822Name in a critical subjectAltName), the
// overlay CA's root and the enrollment server's TLS certificate. The one place
// that assembles and signs an X509, for both the CA and self-signed mode.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

namespace p2psip::identity {

struct certificate_spec {
  EVP_PKEY* subject_key = nullptr;          // public half goes in the certificate
  std::string common_name;                  // empty: empty subject DN (node certificates)
  std::vector<wire::node_id> node_ids;      // as reload: URIs for `overlay`
  std::string overlay;
  std::optional<std::string> user_name;     // rfc822Name
  std::vector<std::string> dns_names;       // for the enrollment server's TLS cert
  std::vector<std::string> ip_addresses;    // likewise, for a server reached by address
  bool certificate_authority = false;
  time_point not_before;
  time_point not_after;
};

// Signs with `issuer_key`. With no `issuer` the certificate is self-signed:
// issuer_key must then be the subject's own key.
result<node_certificate> issue_certificate(const certificate_spec& spec,
                                           const key_pair& issuer_key,
                                           const node_certificate* issuer);

}  // namespace p2psip::identity
