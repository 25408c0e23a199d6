// Encryption to a certificate's key in a standard format: CMS (RFC 5652)
// AuthEnvelopedData (RFC 5083) with AES-256-GCM content encryption, DER.
// The content-encryption key goes to the recipient as OpenSSL chooses for its
// key type: ephemeral-static ECDH (KeyAgreeRecipientInfo, RFC 5753) for
// P-256, RSA key transport (KeyTransRecipientInfo) for RSA. OpenSSL 3.0 has
// no HPKE (3.2 does), and CMS is what `openssl cms -decrypt` reads.
//
// Confidentiality only: who wrote the content is for a signature around it
// (a StoredData signature, where the offline-message inbox uses this).
#pragma once

#include <cstdint>
#include <vector>

#include "identity/digest.hpp"
#include "identity/identity_error.hpp"
#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

namespace p2psip::identity {

// The DER ContentInfo holding `plaintext` for `recipient`'s key.
result<std::vector<std::uint8_t>> seal_for(byte_span plaintext, const node_certificate& recipient);

// The plaintext of a sealed ContentInfo, with the recipient's key and
// certificate; crypto_failure when it is not for them, damaged, or not CMS.
result<std::vector<std::uint8_t>> open_sealed(byte_span sealed, const key_pair& key,
                                              const node_certificate& certificate);

}  // namespace p2psip::identity
