#include "identity/enveloped_data.hpp"

#include <openssl/cms.h>

#include <limits>

#include "identity/openssl_handles.hpp"

namespace p2psip::identity {

namespace {

using cms_ptr = openssl_ptr<CMS_ContentInfo, CMS_ContentInfo_free>;

bio_ptr memory_bio_of(byte_span bytes) {
  return bio_ptr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::vector<std::uint8_t> contents_of(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0) return {};
  return {reinterpret_cast<const std::uint8_t*>(data),
          reinterpret_cast<const std::uint8_t*>(data) + size};
}

}  // namespace

result<std::vector<std::uint8_t>> seal_for(byte_span plaintext, const node_certificate& recipient) {
  if (plaintext.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return identity_error{identity_errc::crypto_failure, "sealing: content too large"};
  x509_stack_ptr recipients(sk_X509_new_null());
  if (!recipients || sk_X509_push(recipients.get(), recipient.native()) == 0)
    return openssl_error(identity_errc::crypto_failure, "sealing: recipient list");
  X509_up_ref(recipient.native());  // the stack frees what it holds
  auto in = memory_bio_of(plaintext);
  if (!in) return openssl_error(identity_errc::crypto_failure, "sealing: input");
  const cms_ptr cms(CMS_encrypt(recipients.get(), in.get(), EVP_aes_256_gcm(), CMS_BINARY));
  if (!cms) return openssl_error(identity_errc::crypto_failure, "CMS_encrypt");
  const bio_ptr out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio(out.get(), cms.get()) != 1)
    return openssl_error(identity_errc::crypto_failure, "encoding the ContentInfo");
  return contents_of(out.get());
}

result<std::vector<std::uint8_t>> open_sealed(byte_span sealed, const key_pair& key,
                                              const node_certificate& certificate) {
  if (sealed.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return identity_error{identity_errc::crypto_failure, "opening: too large"};
  const auto* p = sealed.data();
  const cms_ptr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(sealed.size())));
  if (!cms || p != sealed.data() + sealed.size())
    return openssl_error(identity_errc::crypto_failure, "not a DER CMS ContentInfo");
  const int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type != NID_id_smime_ct_authEnvelopedData)
    return identity_error{identity_errc::crypto_failure, "not CMS AuthEnvelopedData"};
  const bio_ptr out(BIO_new(BIO_s_mem()));
  if (!out) return openssl_error(identity_errc::crypto_failure, "opening: output");
  if (CMS_decrypt(cms.get(), key.native(), certificate.native(), nullptr, out.get(), CMS_BINARY) !=
      1)
    return openssl_error(identity_errc::crypto_failure, "CMS_decrypt");
  return contents_of(out.get());
}

}  // namespace p2psip::identity
