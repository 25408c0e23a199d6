// Self-generated credentials (§11.3.1): the Node-IDs are derived from the
// public key, so anyone can check them and nobody can claim another's.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

namespace p2psip::identity {

// One Node-ID: the high-order bytes of H(SubjectPublicKeyInfo DER). Several:
// Node-ID i (1-based) from H(uint32_be(i) || SubjectPublicKeyInfo DER).
// `digest` is the self-signed-permitted element's: sha1 or sha256.
result<std::vector<wire::node_id>> self_signed_node_ids(const EVP_PKEY* key,
                                                        wire::hash_algorithm digest,
                                                        std::size_t count);

struct self_signed_request {
  std::string overlay;
  std::string user_name;  // any name the user likes (§11.3.1)
  wire::hash_algorithm digest = wire::hash_algorithm::sha256;
  std::size_t node_id_count = 1;
  std::chrono::seconds lifetime = std::chrono::hours(24 * 365);
};

result<node_certificate> make_self_signed_certificate(const key_pair& key,
                                                      const self_signed_request& request,
                                                      time_point now);

// Whether a self-signed certificate's Node-IDs are exactly those its key
// derives (self_signed_node_id_mismatch otherwise), and its signature is its own.
status check_self_signed_node_ids(const node_certificate& cert, wire::hash_algorithm digest);

}  // namespace p2psip::identity
