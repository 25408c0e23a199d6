#include "identity/certificate_builder.hpp"

#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace p2psip::identity {
namespace {

identity_error build_error(const char* what) {
  return openssl_error(identity_errc::crypto_failure, what);
}

bool add_general_name(GENERAL_NAMES* names, int type, const std::string& value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(text);
    return false;
  }
  GENERAL_NAME_set0_value(name, type, text);
  if (sk_GENERAL_NAME_push(names, name) == 0) {
    GENERAL_NAME_free(name);
    return false;
  }
  return true;
}

bool add_subject_alt_name(X509* cert, const certificate_spec& spec) {
  general_names_ptr names(GENERAL_NAMES_new());
  if (!names) return false;
  for (const auto& node : spec.node_ids) {
    if (!add_general_name(names.get(), GEN_URI, format_node_uri(node, spec.overlay))) return false;
  }
  if (spec.user_name && !add_general_name(names.get(), GEN_EMAIL, *spec.user_name)) return false;
  for (const auto& dns : spec.dns_names) {
    if (!add_general_name(names.get(), GEN_DNS, dns)) return false;
  }
  for (const auto& ip : spec.ip_addresses) {
    GENERAL_NAME* name = a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, ip.c_str(), 0);
    if (name == nullptr) return false;
    if (sk_GENERAL_NAME_push(names.get(), name) == 0) {
      GENERAL_NAME_free(name);
      return false;
    }
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) return true;
  // RFC 5280 §4.2.1.6: with an empty subject DN the SAN must be critical.
  const int critical = spec.common_name.empty() ? 1 : 0;
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical,
                           X509V3_ADD_DEFAULT) == 1;
}

bool add_config_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  x509_extension_ptr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool set_random_serial(X509* cert) {
  // 127 random bits, positive: unique without keeping a serial counter.
  bignum_ptr bn(BN_new());
  if (!bn || BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) return false;
  return BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

bool set_time(ASN1_TIME* field, time_point t) {
  return ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) != nullptr;
}

}  // namespace

result<node_certificate> issue_certificate(const certificate_spec& spec,
                                           const key_pair& issuer_key,
                                           const node_certificate* issuer) {
  x509_ptr cert(X509_new());
  x509_name_ptr subject(X509_NAME_new());
  if (!cert || !subject || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      !set_random_serial(cert.get()) || X509_set_pubkey(cert.get(), spec.subject_key) != 1 ||
      !set_time(X509_getm_notBefore(cert.get()), spec.not_before) ||
      !set_time(X509_getm_notAfter(cert.get()), spec.not_after)) {
    return build_error("cannot initialise certificate");
  }
  if (!spec.common_name.empty() &&
      X509_NAME_add_entry_by_txt(
          subject.get(), "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0) != 1) {
    return build_error("cannot set subject");
  }
  if (X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer != nullptr
                                           ? X509_get_subject_name(issuer->native())
                                           : subject.get()) != 1) {
    return build_error("cannot set names");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer->native() : cert.get(), cert.get(), nullptr,
                 nullptr, 0);
  const bool extensions_ok =
      add_config_extension(cert.get(), &ctx, NID_basic_constraints,
                           spec.certificate_authority ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
      add_config_extension(cert.get(), &ctx, NID_key_usage,
                           spec.certificate_authority ? "critical,keyCertSign,cRLSign"
                                                      : "critical,digitalSignature") &&
      // Overlay links are TLS both ways, so node certificates serve either role.
      (spec.certificate_authority ||
       add_config_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth")) &&
      add_config_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash") &&
      add_config_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always") &&
      add_subject_alt_name(cert.get(), spec);
  if (!extensions_ok) return build_error("cannot add extensions");

  if (X509_sign(cert.get(), issuer_key.native(), EVP_sha256()) <= 0) {
    return build_error("cannot sign certificate");
  }
  return node_certificate::from_native(cert.get());
}

}  // namespace p2psip::identity
