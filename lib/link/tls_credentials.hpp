// What this node presents on its overlay links (RFC 6940 §13.3) is exactly
// what the identity layer stores, so credentials from credential_store (or a
// certificate_authority) are used as they are. The TLS context presents the
// key and certificate; the root_certs belong to the trust_policy that the
// peer_authenticator applies to the other side.
#pragma once

#include "identity/credential_store.hpp"

namespace p2psip::link {

using tls_credentials = identity::node_credentials;

}  // namespace p2psip::link
