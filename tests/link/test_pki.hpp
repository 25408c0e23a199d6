// A throwaway PKI for link tests and the link benchmark: a CA, leaf
// certificates with reload:// SAN URIs (RFC 6940 §11.3), and an
// authenticator that reads those URIs back. Header-only so the benchmark can
// share it. Throws std::runtime_error on OpenSSL failures.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "link/peer_authenticator.hpp"
#include "link/tls_credentials.hpp"

namespace p2psip::link::test {

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

inline evp_pkey_ptr make_key() {
  evp_pkey_ptr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key");
  return key;
}

struct certificate_authority {
  evp_pkey_ptr key;
  x509_ptr certificate;
};

struct validity {
  long not_before_seconds = -3600;  // relative to now
  long not_after_seconds = 86400;
};

// An X.509 v3 certificate for `key`, with `extensions` as "name=value" config
// strings, issued by `issuer` (self-signed when issuer is null).
inline x509_ptr make_certificate(EVP_PKEY* key, const std::string& common_name,
                                 const certificate_authority* issuer,
                                 const std::vector<std::pair<int, std::string>>& extensions,
                                 validity valid = {}) {
  static long serial = 1;
  x509_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), valid.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid.not_after_seconds);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = issuer ? issuer->certificate.get() : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  check(X509_sign(cert.get(), issuer ? issuer->key.get() : key, EVP_sha256()) > 0, "sign");
  return cert;
}

inline certificate_authority make_ca(const std::string& name) {
  certificate_authority ca{make_key(), nullptr};
  ca.certificate = make_certificate(ca.key.get(), name, nullptr,
                                    {{NID_basic_constraints, "critical,CA:TRUE"},
                                     {NID_key_usage, "critical,keyCertSign,cRLSign"}});
  return ca;
}

inline x509_ptr share(X509* cert) {
  X509_up_ref(cert);
  return x509_ptr(cert);
}

// Credentials for `node_hex`, issued by `issuer`, trusting `trusted`.
inline tls_credentials make_credentials(const certificate_authority& issuer,
                                        const certificate_authority& trusted,
                                        std::string_view node_hex, validity valid = {}) {
  tls_credentials creds;
  creds.private_key = make_key();
  const std::string uri = "URI:reload://" + std::string(node_hex) + "@test.overlay/";
  creds.certificate = make_certificate(creds.private_key.get(), "peer " + std::string(node_hex),
                                       &issuer, {{NID_subject_alt_name, uri}}, valid);
  creds.trust_roots.push_back(share(trusted.certificate.get()));
  return creds;
}

// Accepts Node-IDs from reload://<hex>@test.overlay/ SAN URIs.
class san_node_id_authenticator final : public peer_authenticator {
 public:
  authentication_result authenticate(const peer_certificates& peer) const override {
    using names_ptr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;
    names_ptr names(static_cast<GENERAL_NAMES*>(
                        X509_get_ext_d2i(&peer.leaf, NID_subject_alt_name, nullptr, nullptr)),
                    &GENERAL_NAMES_free);
    authenticated_peer out;
    constexpr std::string_view scheme = "reload://";
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
      if (name->type != GEN_URI) continue;
      const std::string_view uri(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.uniformResourceIdentifier)),
          static_cast<std::size_t>(ASN1_STRING_length(name->d.uniformResourceIdentifier)));
      const auto at = uri.find('@');
      if (!uri.starts_with(scheme) || at == std::string_view::npos) continue;
      if (auto id = wire::node_id::from_hex(uri.substr(scheme.size(), at - scheme.size()))) {
        out.node_ids.push_back(*id);
      }
    }
    if (out.node_ids.empty()) return authentication_failure{"no reload:// Node-ID in the SAN"};
    return out;
  }
};

}  // namespace p2psip::link::test
