// Test glue over the identity layer's real builders, for the link suites and
// the link benchmark: an overlay CA, node credentials for chosen Node-IDs (or
// self-signed with key-derived ones), and an overlay's trust side. Header-only
// so the benchmark can share it. Throws std::runtime_error on identity errors.
#pragma once

#include <chrono>
#include <stdexcept>
#include <utility>

#include "identity/certificate_authority.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/self_signed.hpp"
#include "link/identity_authenticator.hpp"
#include "link/tls_credentials.hpp"

namespace p2psip::link::test {

inline constexpr const char* test_overlay = "link.test.example";

template <class T>
T must(identity::result<T> r) {
  if (!r) throw std::runtime_error("test PKI: " + r.error().describe());
  return std::move(*r);
}

inline identity::time_point now() { return std::chrono::system_clock::now(); }

inline identity::certificate_authority make_ca() {
  return must(identity::certificate_authority::in_memory(test_overlay, now()));
}

// Relative to now; by default valid from an hour ago for a day.
struct validity {
  std::chrono::seconds not_before{-3600};
  std::chrono::seconds not_after{86400};
};

// Credentials for `node`, issued by `issuer`, whose root the node stores.
inline tls_credentials make_credentials(const identity::certificate_authority& issuer,
                                        const wire::node_id& node, validity valid = {}) {
  auto key = must(identity::key_pair::generate());
  auto cert = must(issuer.issue_node_certificate(key.native(), {node}, "node@link.test.example",
                                                 now() + valid.not_before,
                                                 valid.not_after - valid.not_before));
  return {std::move(key), std::move(cert), {issuer.root()}};
}

// §11.3.1: a fresh key and a certificate for the one Node-ID it derives.
inline tls_credentials make_self_signed_credentials() {
  auto key = must(identity::key_pair::generate());
  auto cert = must(identity::make_self_signed_certificate(
      key, {test_overlay, "adhoc@link.test.example"}, now()));
  return {std::move(key), std::move(cert), {}};
}

inline wire::node_id node_id_of(const tls_credentials& credentials) {
  return credentials.certificate.node_ids().front();
}

inline identity::trust_policy ca_policy(const identity::certificate_authority& ca) {
  return {.overlay = test_overlay, .root_certs = {ca.root()}};
}

inline identity::trust_policy self_signed_policy() {
  return {.overlay = test_overlay, .root_certs = {}, .self_signed_permitted = true};
}

// One overlay's trust side: the verifier for its policy and the links'
// authenticator over it.
struct overlay_trust {
  explicit overlay_trust(identity::trust_policy policy) : verifier(std::move(policy)) {}
  identity::certificate_verifier verifier;
  identity_authenticator authenticator{verifier};
};

// A CA-enrolled overlay, and a second CA for the same overlay name that the
// overlay does not trust.
struct ca_overlay {
  identity::certificate_authority ca = make_ca();
  identity::certificate_authority rogue = make_ca();
  overlay_trust trust{ca_policy(ca)};
};

}  // namespace p2psip::link::test
