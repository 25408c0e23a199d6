// Signs as one Node-ID of this node's certificate: messages (§6.3.4) and
// StoredData (§7.1). The SignatureAndHashAlgorithm is ecdsa(3)+sha256(4) for
// P-256 keys and rsa(1)+sha256(4) (RSASSA-PKCS1-v1_5) for RSA keys.
//
// ECDSA signature_value is the DER-encoded ECDSA-Sig-Value (r, s), as TLS 1.2
// carries ECDSA signatures (RFC 4492 §5.4); RELOAD inherits its Signature
// element from TLS and does not define another encoding.
//
// Keeps its OpenSSL contexts between calls, so one signer serves one thread.
#pragma once

#include <optional>

#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"
#include "wire/ids.hpp"
#include "wire/message_contents.hpp"
#include "wire/security_block.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::identity {

// The SignerIdentity for signing as `node` with `cert` (§6.3.4): cert_hash
// for a certificate with one Node-ID, cert_hash_node_id with several.
result<wire::signer_identity> signer_identity_for(const node_certificate& cert,
                                                  const wire::node_id& node);

class message_signer {
 public:
  // Signs as `node`, by default the certificate's first Node-ID. Fails with
  // key_certificate_mismatch or node_id_not_in_certificate.
  static result<message_signer> create(key_pair key, node_certificate cert,
                                       std::optional<wire::node_id> node = std::nullopt);

  // Input: overlay || transaction_id || MessageContents || SignerIdentity,
  // overlay and transaction_id as in the forwarding header (big-endian).
  result<wire::signature> sign_message(wire::overlay_hash overlay, wire::transaction_id transaction,
                                       byte_span encoded_message_contents);
  result<wire::signature> sign_message(wire::overlay_hash overlay, wire::transaction_id transaction,
                                       const wire::message_contents& contents);

  // Sets data.signature over resource_id || kind || storage_time ||
  // StoredDataValue || SignerIdentity (§7.1).
  status sign_stored_data(const wire::resource_id& resource, wire::kind_id kind,
                          wire::stored_data& data);

  // A SecurityBlock (§6.3.4) over a binary blob: a §11.1 configuration or
  // kind element, byte for byte. Input: blob || SignerIdentity, as §7.1
  // appends the SignerIdentity to what it signs; the block carries this
  // node's certificate.
  result<wire::security_block> sign_blob(byte_span blob);

  // A renewed certificate for the same key and Node-ID: later signatures
  // name it, and the SecurityBlocks carry it. Unchanged on failure.
  status use_certificate(node_certificate cert);

  const wire::node_id& node() const noexcept { return node_; }
  const node_certificate& certificate() const noexcept { return cert_; }
  // The key: for a TLS client certificate (enrollment_client), and for
  // opening what was sealed to this certificate (enveloped_data.hpp).
  const key_pair& key() const noexcept { return key_; }
  const wire::signer_identity& identity() const noexcept { return identity_; }
  // This node's entry for SecurityBlock.certificates.
  wire::generic_certificate generic_certificate() const;

 private:
  message_signer(key_pair key, node_certificate cert, wire::node_id node,
                 wire::signer_identity identity, std::vector<std::uint8_t> identity_bytes,
                 evp_md_ptr sha256, evp_md_ctx_ptr md_ctx, evp_pkey_ctx_ptr sign_ctx);
  // Signs H(parts[0] || parts[1] || ...).
  result<wire::signature> sign(std::initializer_list<byte_span> parts);

  key_pair key_;
  node_certificate cert_;
  wire::node_id node_;
  wire::signer_identity identity_;
  std::vector<std::uint8_t> identity_bytes_;  // encoded once: part of every input
  evp_md_ptr sha256_;          // fetched once rather than on every digest
  evp_md_ctx_ptr md_ctx_;      // reset and reused per signature
  evp_pkey_ctx_ptr sign_ctx_;  // initialised once for sign-the-digest
};

}  // namespace p2psip::identity
