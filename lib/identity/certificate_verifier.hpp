// Decides whether a certificate speaks for Node-IDs in this overlay: chained
// to a root-cert of the overlay configuration (§11.3, including BasicConstraints),
// or self-signed with key-derived Node-IDs where the overlay allows it
// (§11.3.1). Used for message and data signers and, by the link layer, for the
// peer certificate of every TLS handshake.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "identity/node_certificate.hpp"

namespace p2psip::identity {

// The trust-related parts of the overlay configuration (§11.1).
struct trust_policy {
  std::string overlay;                        // Node URIs must name this overlay
  std::vector<node_certificate> root_certs;   // root-cert elements
  bool self_signed_permitted = false;         // self-signed-permitted
  wire::hash_algorithm self_signed_digest = wire::hash_algorithm::sha256;  // its digest
};

struct verified_identity {
  node_certificate certificate;
  std::vector<wire::node_id> node_ids;   // those naming the policy's overlay
  std::optional<std::string> user_name;
  // Self-signed user names are the holder's own claim, not vouched for (§13.3).
  bool self_signed = false;
  // When this verdict holds: the intersection of the validity periods of the
  // leaf and of every certificate of the chain that verified it.
  time_point valid_from = time_point::min();
  time_point valid_until = time_point::max();
};

class certificate_verifier {
 public:
  explicit certificate_verifier(trust_policy policy);

  // `intermediates` may hold any certificates (e.g. a SecurityBlock's bucket
  // or a TLS peer chain); only those that build a path to a root are used.
  // Errors: certificate_expired, certificate_not_yet_valid, untrusted_chain,
  // self_signed_forbidden, self_signed_node_id_mismatch, and
  // node_id_not_in_certificate when no Node-ID names this overlay.
  result<verified_identity> verify(const node_certificate& leaf,
                                   std::span<const node_certificate> intermediates,
                                   time_point now) const;

  // For the link layer's TLS verify path: the peer's leaf and the chain it
  // sent (SSL_get0_peer_certificate, SSL_get_peer_cert_chain; either may
  // include the leaf again). Returns the peer's verified Node-IDs.
  result<verified_identity> verify_peer(X509* leaf, STACK_OF(X509) * chain,
                                        time_point now) const;

  const trust_policy& policy() const noexcept { return policy_; }

 private:
  struct validity_window {
    time_point from;
    time_point until;
  };
  result<validity_window> verify_chain(const node_certificate& leaf,
                                       std::span<const node_certificate> intermediates,
                                       time_point now) const;
  bool is_root(const node_certificate& cert) const noexcept;

  trust_policy policy_;
  x509_store_ptr store_;
};

}  // namespace p2psip::identity
