// What this node presents and trusts on its overlay links (RFC 6940 §13.3).
#pragma once

#include <vector>

#include "link/openssl_handles.hpp"

namespace p2psip::link {

struct tls_credentials {
  evp_pkey_ptr private_key;
  x509_ptr certificate;                // carries this node's Node-IDs
  std::vector<x509_ptr> chain;         // intermediates sent after the certificate
  std::vector<x509_ptr> trust_roots;   // the overlay's enrollment CA(s)
};

}  // namespace p2psip::link
