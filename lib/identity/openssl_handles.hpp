// Owning handles for the OpenSSL objects this layer and the link layer above
// it use: every object is freed by its unique_ptr, on every path.
#pragma once

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace p2psip::identity {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
  void operator()(T* p) const noexcept { Free(p); }
};

template <class T, void (*Free)(T*)>
using openssl_ptr = std::unique_ptr<T, openssl_deleter<T, Free>>;

inline void free_general_names(GENERAL_NAMES* names) { GENERAL_NAMES_free(names); }
inline void free_x509_stack(STACK_OF(X509)* stack) { sk_X509_pop_free(stack, X509_free); }
inline void free_extension_stack(STACK_OF(X509_EXTENSION)* stack) {
  sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
}
inline void free_bio(BIO* bio) { BIO_free_all(bio); }

using evp_pkey_ptr = openssl_ptr<EVP_PKEY, EVP_PKEY_free>;
using evp_pkey_ctx_ptr = openssl_ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using evp_md_ctx_ptr = openssl_ptr<EVP_MD_CTX, EVP_MD_CTX_free>;
using evp_md_ptr = openssl_ptr<EVP_MD, EVP_MD_free>;
using x509_ptr = openssl_ptr<X509, X509_free>;
using x509_req_ptr = openssl_ptr<X509_REQ, X509_REQ_free>;
using x509_name_ptr = openssl_ptr<X509_NAME, X509_NAME_free>;
using x509_extension_ptr = openssl_ptr<X509_EXTENSION, X509_EXTENSION_free>;
using x509_store_ptr = openssl_ptr<X509_STORE, X509_STORE_free>;
using x509_store_ctx_ptr = openssl_ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using x509_stack_ptr = openssl_ptr<STACK_OF(X509), free_x509_stack>;
using extension_stack_ptr = openssl_ptr<STACK_OF(X509_EXTENSION), free_extension_stack>;
using general_names_ptr = openssl_ptr<GENERAL_NAMES, free_general_names>;
using asn1_integer_ptr = openssl_ptr<ASN1_INTEGER, ASN1_INTEGER_free>;
using bignum_ptr = openssl_ptr<BIGNUM, BN_free>;
using secret_bignum_ptr = openssl_ptr<BIGNUM, BN_clear_free>;
using bn_ctx_ptr = openssl_ptr<BN_CTX, BN_CTX_free>;
using ec_group_ptr = openssl_ptr<EC_GROUP, EC_GROUP_free>;
using ec_point_ptr = openssl_ptr<EC_POINT, EC_POINT_free>;
using param_bld_ptr = openssl_ptr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using params_ptr = openssl_ptr<OSSL_PARAM, OSSL_PARAM_free>;
using bio_ptr = openssl_ptr<BIO, free_bio>;
using asn1_time_ptr = openssl_ptr<ASN1_TIME, ASN1_TIME_free>;
using ssl_ctx_ptr = openssl_ptr<SSL_CTX, SSL_CTX_free>;
using ssl_ptr = openssl_ptr<SSL, SSL_free>;

}  // namespace p2psip::identity
