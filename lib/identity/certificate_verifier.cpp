#include "identity/certificate_verifier.hpp"

#include <algorithm>

#include <openssl/err.h>

#include "identity/self_signed.hpp"

namespace p2psip::identity {

certificate_verifier::certificate_verifier(trust_policy policy)
    : policy_(std::move(policy)), store_(X509_STORE_new()) {
  // Adding can only fail on allocation; a missing root then shows up as
  // untrusted_chain on verification rather than as a half-built verifier.
  for (const auto& root : policy_.root_certs) X509_STORE_add_cert(store_.get(), root.native());
}

bool certificate_verifier::is_root(const node_certificate& cert) const noexcept {
  return std::find(policy_.root_certs.begin(), policy_.root_certs.end(), cert) !=
         policy_.root_certs.end();
}

auto certificate_verifier::verify_chain(const node_certificate& leaf,
                                        std::span<const node_certificate> intermediates,
                                        time_point now) const -> result<validity_window> {
  if (policy_.root_certs.empty()) {
    return identity_error{identity_errc::untrusted_chain, "the overlay has no root-cert"};
  }
  x509_stack_ptr untrusted(sk_X509_new_null());
  x509_store_ctx_ptr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return openssl_error(identity_errc::crypto_failure, "out of memory");
  for (const auto& cert : intermediates) {
    if (X509_add_cert(untrusted.get(), cert.native(), X509_ADD_FLAG_UP_REF) != 1) {
      return openssl_error(identity_errc::crypto_failure, "out of memory");
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.native(), untrusted.get()) != 1) {
    return openssl_error(identity_errc::crypto_failure, "cannot start chain verification");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  if (X509_verify_cert(ctx.get()) == 1) {
    validity_window window{leaf.not_before(), leaf.not_after()};
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      auto cert = node_certificate::from_native(sk_X509_value(chain, i));
      if (!cert) return cert.error();
      window.from = std::max(window.from, cert->not_before());
      window.until = std::min(window.until, cert->not_after());
    }
    return window;
  }

  const int error = X509_STORE_CTX_get_error(ctx.get());
  const std::string reason = X509_verify_cert_error_string(error);
  ERR_clear_error();
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return identity_error{identity_errc::certificate_expired, reason};
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return identity_error{identity_errc::certificate_not_yet_valid, reason};
    default:
      return identity_error{identity_errc::untrusted_chain, reason};
  }
}

result<verified_identity> certificate_verifier::verify(
    const node_certificate& leaf, std::span<const node_certificate> intermediates,
    time_point now) const {
  // A root of our own configuration presented as a leaf goes through the chain
  // check like any CA-issued certificate; any other self-issued one is self-signed.
  const bool self_signed = leaf.is_self_issued() && !is_root(leaf);
  validity_window window{leaf.not_before(), leaf.not_after()};
  if (self_signed) {
    if (!policy_.self_signed_permitted) {
      return identity_error{identity_errc::self_signed_forbidden,
                            "overlay " + policy_.overlay + " does not permit self-signed certificates"};
    }
    if (auto valid = leaf.check_validity(now); !valid) return valid.error();
    if (auto derived = check_self_signed_node_ids(leaf, policy_.self_signed_digest); !derived) {
      return derived.error();
    }
  } else if (auto chained = verify_chain(leaf, intermediates, now); !chained) {
    return chained.error();
  } else {
    window = *chained;
  }

  verified_identity identity{leaf, {}, leaf.user_name(), self_signed, window.from, window.until};
  for (const auto& uri : leaf.node_uris()) {
    if (uri.overlay == policy_.overlay) identity.node_ids.push_back(uri.node);
  }
  if (identity.node_ids.empty()) {
    return identity_error{identity_errc::node_id_not_in_certificate,
                          "the certificate has no Node-ID for overlay " + policy_.overlay};
  }
  return identity;
}

result<verified_identity> certificate_verifier::verify_peer(X509* leaf, STACK_OF(X509) * chain,
                                                            time_point now) const {
  auto peer = node_certificate::from_native(leaf);
  if (!peer) return peer.error();
  std::vector<node_certificate> intermediates;
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    auto cert = node_certificate::from_native(sk_X509_value(chain, i));
    if (!cert) return cert.error();
    intermediates.push_back(std::move(*cert));
  }
  return verify(*peer, intermediates, now);
}

}  // namespace p2psip::identity
