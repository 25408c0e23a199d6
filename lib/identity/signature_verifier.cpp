#include "identity/signature_verifier.hpp"

#include <algorithm>

#include <array>

#include <openssl/err.h>

#include "identity/key_pair.hpp"
#include "identity/signature_input.hpp"

namespace p2psip::identity {
namespace {

status check_algorithm(const wire::signature_and_hash_algorithm& algorithm, const EVP_PKEY* key) {
  const bool hash_ok = algorithm.hash == wire::hash_algorithm::sha256 ||
                       algorithm.hash == wire::hash_algorithm::sha384 ||
                       algorithm.hash == wire::hash_algorithm::sha512;
  if (!hash_ok || (algorithm.signature != wire::signature_algorithm::ecdsa &&
                   algorithm.signature != wire::signature_algorithm::rsa)) {
    return identity_error{
        identity_errc::unsupported_algorithm,
        "SignatureAndHashAlgorithm " + std::to_string(static_cast<int>(algorithm.signature)) +
            "/" + std::to_string(static_cast<int>(algorithm.hash))};
  }
  const auto key_type = classify_key(key);
  if (!key_type) return key_type.error();
  if (signature_algorithm_for(*key_type).signature != algorithm.signature) {
    return identity_error{identity_errc::bad_signature,
                          "the signature algorithm does not match the signer's key"};
  }
  return {};
}

status check_signature(const wire::signature& signature, EVP_PKEY* key,
                       std::initializer_list<byte_span> parts) {
  // Hashing the parts in place avoids concatenating them into one buffer.
  const EVP_MD* md = evp_digest(signature.algorithm.hash);
  evp_md_ctx_ptr md_ctx(EVP_MD_CTX_new());
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> hash{};
  unsigned int hash_length = 0;
  if (!md_ctx || EVP_DigestInit_ex(md_ctx.get(), md, nullptr) != 1) {
    return openssl_error(identity_errc::crypto_failure, "digest init");
  }
  for (const auto part : parts) EVP_DigestUpdate(md_ctx.get(), part.data(), part.size());
  evp_pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (EVP_DigestFinal_ex(md_ctx.get(), hash.data(), &hash_length) != 1 || !ctx ||
      EVP_PKEY_verify_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    return openssl_error(identity_errc::crypto_failure, "cannot prepare verification");
  }
  if (EVP_PKEY_verify(ctx.get(), signature.value.data(), signature.value.size(), hash.data(),
                      hash_length) != 1) {
    ERR_clear_error();
    return identity_error{identity_errc::bad_signature, "the signature does not verify"};
  }
  return {};
}

bool contains(const std::vector<wire::node_id>& ids, const wire::node_id& node) {
  return std::find(ids.begin(), ids.end(), node) != ids.end();
}

}  // namespace

result<verified_signer> signature_verifier::resolve_signer(
    const wire::signer_identity& identity,
    std::span<const wire::generic_certificate> certificates,
    std::optional<wire::node_id> claimed, time_point now) {
  const auto type = static_cast<wire::signer_identity_type>(identity.type);
  if (type != wire::signer_identity_type::cert_hash &&
      type != wire::signer_identity_type::cert_hash_node_id) {
    return identity_error{identity_errc::invalid_signer_identity,
                          "SignerIdentity type " + std::to_string(identity.type)};
  }
  // The cache usually knows the signer, and its verdict on the signer's
  // certificate holds until the chain's validity ends: nothing is parsed or
  // checked again but the signature itself.
  std::optional<signer_match> match = cache_.find(identity);
  if (match) {
    if (const auto* known = verified_.find(match->certificate.der(), now)) {
      return signer_of(*known, *match, claimed);
    }
  }
  std::vector<node_certificate> intermediates;
  for (const auto& generic : certificates) {
    if (generic.type != static_cast<std::uint8_t>(wire::certificate_type::x509)) continue;
    if (match && generic.certificate == match->certificate.der()) continue;
    const auto* known = verified_.find(generic.certificate, now);
    auto cert = known != nullptr ? known->certificate : node_certificate::from_der(generic.certificate);
    if (!cert) continue;  // an unusable extra certificate cannot vouch for anyone
    if (!match) {
      if (auto found = match_signer(identity, *cert)) {
        match = std::move(found);
        continue;
      }
    }
    intermediates.push_back(std::move(*cert));
  }
  if (!match) {
    return identity_error{identity_errc::unknown_signer,
                          "no certificate for signer hash " + wire::to_hex(identity.hash)};
  }

  auto verified = certificates_.verify(match->certificate, intermediates, now);
  if (!verified) return verified.error();
  verified_.add(*verified);
  auto signer = signer_of(*verified, *match, claimed);
  if (signer) cache_.add(match->certificate);
  return signer;
}

result<verified_signer> signature_verifier::signer_of(const verified_identity& verified,
                                                      const signer_match& match,
                                                      std::optional<wire::node_id> claimed) {
  if (!match.node && match.certificate.node_uris().size() > 1) {
    return identity_error{identity_errc::invalid_signer_identity,
                          "cert_hash names a certificate with several Node-IDs (§6.3.4)"};
  }
  const wire::node_id node = match.node.value_or(verified.node_ids.front());
  if (!contains(verified.node_ids, node)) {
    return identity_error{identity_errc::node_id_not_in_certificate,
                          node.hex() + " is not a Node-ID of this overlay"};
  }
  if (claimed && !contains(verified.node_ids, *claimed)) {
    return identity_error{identity_errc::node_id_not_in_certificate,
                          "the signer's certificate lacks claimed Node-ID " + claimed->hex()};
  }
  return verified_signer{verified, node};
}

result<verified_signer> signature_verifier::verify(
    const wire::signature& signature, std::span<const wire::generic_certificate> certificates,
    std::initializer_list<byte_span> signed_parts, std::optional<wire::node_id> claimed,
    time_point now) {
  auto signer = resolve_signer(signature.identity, certificates, claimed, now);
  if (!signer) return signer.error();
  EVP_PKEY* key = signer->identity.certificate.public_key();
  if (auto algorithm = check_algorithm(signature.algorithm, key); !algorithm) {
    return algorithm.error();
  }
  if (auto checked = check_signature(signature, key, signed_parts); !checked) {
    return checked.error();
  }
  return signer;
}

result<verified_signer> signature_verifier::verify_blob(const wire::security_block& block,
                                                        byte_span blob, time_point now) {
  const auto identity = wire::to_bytes(block.signature.identity);
  if (!identity) {
    return identity_error{identity_errc::invalid_signer_identity, identity.error().describe()};
  }
  return verify(block.signature, block.certificates, {blob, *identity}, std::nullopt, now);
}

result<verified_signer> signature_verifier::verify_message(
    const wire::security_block& block, wire::overlay_hash overlay,
    wire::transaction_id transaction, byte_span encoded_message_contents,
    std::optional<wire::node_id> claimed_sender, time_point now) {
  const auto identity = wire::to_bytes(block.signature.identity);
  if (!identity) {
    return identity_error{identity_errc::invalid_signer_identity, identity.error().describe()};
  }
  const auto prefix = message_signature_prefix(overlay, transaction);
  return verify(block.signature, block.certificates, {prefix, encoded_message_contents, *identity},
                claimed_sender, now);
}

result<verified_signer> signature_verifier::verify_message(
    const wire::security_block& block, wire::overlay_hash overlay,
    wire::transaction_id transaction, const wire::message_contents& contents,
    std::optional<wire::node_id> claimed_sender, time_point now) {
  const auto encoded = wire::to_bytes(contents);
  if (!encoded) {
    return identity_error{identity_errc::bad_signature,
                          "cannot encode MessageContents: " + encoded.error().describe()};
  }
  return verify_message(block, overlay, transaction, *encoded, claimed_sender, now);
}

result<verified_signer> signature_verifier::verify_stored_data(
    const wire::resource_id& resource, wire::kind_id kind, const wire::stored_data& data,
    std::span<const wire::generic_certificate> certificates,
    std::optional<wire::node_id> claimed_owner, time_point now) {
  const auto input = stored_data_input(resource, kind, data);
  if (!input) return input.error();
  return verify(data.signature, certificates, {*input}, claimed_owner, now);
}

}  // namespace p2psip::identity
