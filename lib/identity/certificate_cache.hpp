// Certificates this node has seen (its own, peers', those of stored data),
// found by the SignerIdentity hashes of §6.3.4 so that a signature whose
// SecurityBlock omits the certificate can still be checked. Indexed by
// SHA-256, the hash this layer signs with; a SignerIdentity using another hash
// only matches certificates carried in its own SecurityBlock. Bounded: past
// its capacity the oldest entry goes. Not thread-safe: one per owning thread.
#pragma once

#include <cstddef>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "identity/node_certificate.hpp"

namespace p2psip::identity {

// The certificate a SignerIdentity designates and, for cert_hash_node_id, the
// Node-ID it names.
struct signer_match {
  node_certificate certificate;
  std::optional<wire::node_id> node;
};

// Whether `cert` is the one `identity` designates (computing its hashes).
std::optional<signer_match> match_signer(const wire::signer_identity& identity,
                                         const node_certificate& cert);

class certificate_cache {
 public:
  explicit certificate_cache(std::size_t capacity = 4096) : capacity_(capacity) {}

  void add(const node_certificate& cert);
  std::optional<signer_match> find(const wire::signer_identity& identity) const;
  std::size_t size() const noexcept { return order_.size(); }

 private:
  using hash_key = std::vector<std::uint8_t>;
  // Shorter keys first, then memcmp: any strict order serves a map, and
  // vector's own operator< trips GCC 12's -Wstringop-overread at -O3.
  struct hash_key_order {
    bool operator()(const hash_key& a, const hash_key& b) const noexcept {
      if (a.size() != b.size()) return a.size() < b.size();
      return !a.empty() && std::memcmp(a.data(), b.data(), a.size()) < 0;
    }
  };

  std::size_t capacity_;
  std::map<hash_key, node_certificate, hash_key_order> by_cert_hash_;
  std::map<hash_key, signer_match, hash_key_order> by_node_id_hash_;
  std::deque<hash_key> order_;  // cert hashes, oldest first
};

}  // namespace p2psip::identity
