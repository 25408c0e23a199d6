// Who signed a StoredData (or a StoreReq), as far as access control cares:
// the certificate's user name and the Node-ID its SignerIdentity indicates.
// Deliberately not a certificate, so policies can be tested without a PKI.
#pragma once

#include <optional>
#include <string>

#include "wire/ids.hpp"

namespace p2psip::storage {

struct signer {
  // The certificate's rfc822Name; self-signed ones are the holder's own claim,
  // which RFC 6940 §7.3.1 accepts where the overlay permits self-signing.
  std::optional<std::string> user_name;
  // The Node-ID named by the SignerIdentity (cert_hash: the certificate's only
  // one; cert_hash_node_id: the one hashed in). Other Node-IDs of the same
  // certificate do not count (§7.3.2-§7.3.4).
  wire::node_id node;
  friend bool operator==(const signer&, const signer&) = default;
};

// "alice@example.org/0123..." for error texts and logs.
std::string describe(const signer& who);

}  // namespace p2psip::storage
