#include "identity/message_signer.hpp"

#include <array>

#include "identity/signature_input.hpp"

namespace p2psip::identity {

result<wire::signer_identity> signer_identity_for(const node_certificate& cert,
                                                  const wire::node_id& node) {
  wire::signer_identity identity;
  identity.hash_alg = wire::hash_algorithm::sha256;
  const bool several = cert.node_uris().size() > 1;
  identity.type = static_cast<std::uint8_t>(several ? wire::signer_identity_type::cert_hash_node_id
                                                    : wire::signer_identity_type::cert_hash);
  auto hash = several ? cert.node_id_hash(identity.hash_alg, node) : cert.hash(identity.hash_alg);
  if (!hash) return hash.error();
  identity.hash = std::move(*hash);
  return identity;
}

message_signer::message_signer(key_pair key, node_certificate cert, wire::node_id node,
                               wire::signer_identity identity,
                               std::vector<std::uint8_t> identity_bytes, evp_md_ptr sha256,
                               evp_md_ctx_ptr md_ctx, evp_pkey_ctx_ptr sign_ctx)
    : key_(std::move(key)),
      cert_(std::move(cert)),
      node_(node),
      identity_(std::move(identity)),
      identity_bytes_(std::move(identity_bytes)),
      sha256_(std::move(sha256)),
      md_ctx_(std::move(md_ctx)),
      sign_ctx_(std::move(sign_ctx)) {}

namespace {

// The certificate must be for `key` and name `node`.
status check_certificate(const key_pair& key, const node_certificate& cert,
                         const wire::node_id& node) {
  if (EVP_PKEY_eq(key.native(), cert.public_key()) != 1) {
    return identity_error{identity_errc::key_certificate_mismatch,
                          "the certificate is for another key"};
  }
  if (!cert.has_node_id(node)) {
    return identity_error{identity_errc::node_id_not_in_certificate, node.hex()};
  }
  return {};
}

struct encoded_identity {
  wire::signer_identity identity;
  std::vector<std::uint8_t> bytes;
};

result<encoded_identity> encode_identity(const node_certificate& cert, const wire::node_id& node) {
  auto identity = signer_identity_for(cert, node);
  if (!identity) return identity.error();
  auto bytes = wire::to_bytes(*identity);
  if (!bytes) {
    return identity_error{identity_errc::invalid_signer_identity, bytes.error().describe()};
  }
  return encoded_identity{std::move(*identity), std::move(*bytes)};
}

}  // namespace

result<message_signer> message_signer::create(key_pair key, node_certificate cert,
                                              std::optional<wire::node_id> node) {
  if (cert.node_uris().empty()) {
    return identity_error{identity_errc::node_id_not_in_certificate, "no Node-ID"};
  }
  const wire::node_id signer = node.value_or(cert.node_uris().front().node);
  if (auto checked = check_certificate(key, cert, signer); !checked) return checked.error();
  auto identity = encode_identity(cert, signer);
  if (!identity) return identity.error();

  evp_md_ptr sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  evp_md_ctx_ptr md_ctx(EVP_MD_CTX_new());
  evp_pkey_ctx_ptr sign_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.native(), nullptr));
  if (!sha256 || !md_ctx || !sign_ctx || EVP_PKEY_sign_init(sign_ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(sign_ctx.get(), sha256.get()) != 1) {
    return openssl_error(identity_errc::crypto_failure, "cannot prepare signing");
  }
  return message_signer(std::move(key), std::move(cert), signer, std::move(identity->identity),
                        std::move(identity->bytes), std::move(sha256), std::move(md_ctx),
                        std::move(sign_ctx));
}

status message_signer::use_certificate(node_certificate cert) {
  if (auto checked = check_certificate(key_, cert, node_); !checked) return checked.error();
  auto identity = encode_identity(cert, node_);
  if (!identity) return identity.error();
  cert_ = std::move(cert);
  identity_ = std::move(identity->identity);
  identity_bytes_ = std::move(identity->bytes);
  return {};
}

result<wire::signature> message_signer::sign(std::initializer_list<byte_span> parts) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> hash{};
  unsigned int hash_length = 0;
  if (EVP_DigestInit_ex(md_ctx_.get(), sha256_.get(), nullptr) != 1) {
    return openssl_error(identity_errc::crypto_failure, "digest init");
  }
  for (const auto part : parts) {
    if (EVP_DigestUpdate(md_ctx_.get(), part.data(), part.size()) != 1) {
      return openssl_error(identity_errc::crypto_failure, "digest update");
    }
  }
  if (EVP_DigestFinal_ex(md_ctx_.get(), hash.data(), &hash_length) != 1) {
    return openssl_error(identity_errc::crypto_failure, "digest final");
  }
  wire::signature out{signature_algorithm_for(key_.algorithm()), identity_, {}};
  std::size_t length = static_cast<std::size_t>(EVP_PKEY_get_size(key_.native()));
  out.value.resize(length);
  if (EVP_PKEY_sign(sign_ctx_.get(), out.value.data(), &length, hash.data(), hash_length) != 1) {
    return openssl_error(identity_errc::crypto_failure, "signing failed");
  }
  out.value.resize(length);  // DER ECDSA signatures vary in length
  return out;
}

result<wire::signature> message_signer::sign_message(wire::overlay_hash overlay,
                                                     wire::transaction_id transaction,
                                                     byte_span encoded_message_contents) {
  const auto header = message_signature_prefix(overlay, transaction);
  return sign({header, encoded_message_contents, identity_bytes_});
}

result<wire::signature> message_signer::sign_message(wire::overlay_hash overlay,
                                                     wire::transaction_id transaction,
                                                     const wire::message_contents& contents) {
  const auto encoded = wire::to_bytes(contents);
  if (!encoded) {
    return identity_error{identity_errc::crypto_failure,
                          "cannot encode MessageContents: " + encoded.error().describe()};
  }
  return sign_message(overlay, transaction, *encoded);
}

status message_signer::sign_stored_data(const wire::resource_id& resource, wire::kind_id kind,
                                        wire::stored_data& data) {
  data.signature.identity = identity_;
  const auto input = stored_data_input(resource, kind, data);
  if (!input) return input.error();
  auto signature = sign({*input});
  if (!signature) return signature.error();
  data.signature = std::move(*signature);
  return {};
}

result<wire::security_block> message_signer::sign_blob(byte_span blob) {
  auto signature = sign({blob, identity_bytes_});
  if (!signature) return signature.error();
  return wire::security_block{{generic_certificate()}, std::move(*signature)};
}

wire::generic_certificate message_signer::generic_certificate() const {
  return {static_cast<std::uint8_t>(wire::certificate_type::x509), cert_.der()};
}

}  // namespace p2psip::identity
