#include "identity/certificate_request.hpp"

#include <openssl/pem.h>

#include "identity/reload_uri.hpp"

namespace p2psip::identity {
namespace {

identity_error malformed(std::string what) {
  return openssl_error(identity_errc::malformed_request, std::move(what));
}

std::string_view ia5_view(const ASN1_IA5STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
}

x509_req_ptr decode_request(std::string_view der_or_pem) {
  if (der_or_pem.find("-----BEGIN") != std::string_view::npos) {
    bio_ptr bio(BIO_new_mem_buf(der_or_pem.data(), static_cast<int>(der_or_pem.size())));
    return x509_req_ptr(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr)
                            : nullptr);
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der_or_pem.data());
  x509_req_ptr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der_or_pem.size())));
  if (req && p != reinterpret_cast<const unsigned char*>(der_or_pem.data()) + der_or_pem.size()) {
    return nullptr;  // trailing bytes after the request
  }
  return req;
}

// The requested user name, refusing any Node-ID request in the process.
result<std::optional<std::string>> requested_user_name(X509_REQ* req) {
  extension_stack_ptr extensions(X509_REQ_get_extensions(req));
  std::optional<std::string> user_name;
  for (int i = 0; extensions && i < sk_X509_EXTENSION_num(extensions.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(extensions.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    general_names_ptr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    if (!names) return malformed("unreadable subjectAltName request");
    for (int j = 0; j < sk_GENERAL_NAME_num(names.get()); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), j);
      if (name->type == GEN_URI && has_reload_scheme(ia5_view(name->d.uniformResourceIdentifier))) {
        return identity_error{identity_errc::request_asks_for_node_id,
                              "the CSR requests " +
                                  std::string(ia5_view(name->d.uniformResourceIdentifier)) +
                                  "; the enrollment server assigns Node-IDs"};
      }
      if (name->type == GEN_EMAIL) {
        if (user_name) return malformed("the CSR requests more than one user name");
        user_name = std::string(ia5_view(name->d.rfc822Name));
      }
    }
  }
  return user_name;
}

}  // namespace

result<certificate_request> certificate_request::create(const key_pair& key,
                                                        const std::string& user_name) {
  x509_req_ptr req(X509_REQ_new());
  general_names_ptr names(GENERAL_NAMES_new());
  extension_stack_ptr extensions(sk_X509_EXTENSION_new_null());
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, user_name.data(), static_cast<int>(user_name.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(text);
    return openssl_error(identity_errc::crypto_failure, "cannot build user name");
  }
  GENERAL_NAME_set0_value(name, GEN_EMAIL, text);
  if (!req || !names || !extensions || sk_GENERAL_NAME_push(names.get(), name) == 0) {
    GENERAL_NAME_free(name);
    return openssl_error(identity_errc::crypto_failure, "out of memory");
  }
  x509_extension_ptr san(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
  if (!san || sk_X509_EXTENSION_push(extensions.get(), san.get()) == 0) {
    return openssl_error(identity_errc::crypto_failure, "cannot build subjectAltName");
  }
  san.release();  // now owned by `extensions`
  if (X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.native()) != 1 ||
      X509_REQ_add_extensions(req.get(), extensions.get()) != 1 ||
      X509_REQ_sign(req.get(), key.native(), EVP_sha256()) <= 0) {
    return openssl_error(identity_errc::crypto_failure, "cannot sign CSR");
  }
  return certificate_request(std::move(req), user_name);
}

result<certificate_request> certificate_request::parse(std::string_view der_or_pem) {
  x509_req_ptr req = decode_request(der_or_pem);
  if (!req) return malformed("not a DER or PEM PKCS#10 request");
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) return malformed("the CSR has no usable public key");
  if (auto type = classify_key(key); !type) {
    return identity_error{identity_errc::malformed_request, type.error().detail};
  }
  if (X509_REQ_verify(req.get(), key) != 1) {
    return malformed("the CSR signature does not verify (proof of key possession)");
  }
  auto user_name = requested_user_name(req.get());
  if (!user_name) return user_name.error();
  return certificate_request(std::move(req), std::move(*user_name));
}

result<std::string> certificate_request::to_der() const {
  const int len = i2d_X509_REQ(req_.get(), nullptr);
  if (len <= 0) return openssl_error(identity_errc::crypto_failure, "cannot encode CSR");
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_REQ(req_.get(), &p);
  return der;
}

}  // namespace p2psip::identity
