#include "identity/certificate_cache.hpp"

namespace p2psip::identity {
namespace {

constexpr auto index_hash = wire::hash_algorithm::sha256;

wire::signer_identity_type type_of(const wire::signer_identity& identity) {
  return static_cast<wire::signer_identity_type>(identity.type);
}

}  // namespace

std::optional<signer_match> match_signer(const wire::signer_identity& identity,
                                         const node_certificate& cert) {
  if (type_of(identity) == wire::signer_identity_type::cert_hash) {
    const auto hash = cert.hash(identity.hash_alg);
    if (hash && *hash == identity.hash) return signer_match{cert, std::nullopt};
  } else if (type_of(identity) == wire::signer_identity_type::cert_hash_node_id) {
    for (const auto& uri : cert.node_uris()) {
      const auto hash = cert.node_id_hash(identity.hash_alg, uri.node);
      if (hash && *hash == identity.hash) return signer_match{cert, uri.node};
    }
  }
  return std::nullopt;
}

void certificate_cache::add(const node_certificate& cert) {
  auto hash = cert.hash(index_hash);
  if (!hash || by_cert_hash_.contains(*hash)) return;
  if (order_.size() >= capacity_) {
    const auto& oldest = by_cert_hash_.at(order_.front());
    for (const auto& uri : oldest.node_uris()) {
      if (auto h = oldest.node_id_hash(index_hash, uri.node)) by_node_id_hash_.erase(*h);
    }
    by_cert_hash_.erase(order_.front());
    order_.pop_front();
  }
  for (const auto& uri : cert.node_uris()) {
    if (auto h = cert.node_id_hash(index_hash, uri.node)) {
      by_node_id_hash_.insert_or_assign(std::move(*h), signer_match{cert, uri.node});
    }
  }
  by_cert_hash_.emplace(*hash, cert);
  order_.push_back(std::move(*hash));
}

std::optional<signer_match> certificate_cache::find(const wire::signer_identity& identity) const {
  if (identity.hash_alg != index_hash) return std::nullopt;
  if (type_of(identity) == wire::signer_identity_type::cert_hash) {
    if (const auto it = by_cert_hash_.find(identity.hash); it != by_cert_hash_.end()) {
      return signer_match{it->second, std::nullopt};
    }
  } else if (type_of(identity) == wire::signer_identity_type::cert_hash_node_id) {
    if (const auto it = by_node_id_hash_.find(identity.hash); it != by_node_id_hash_.end()) {
      return it->second;
    }
  }
  return std::nullopt;
}

}  // namespace p2psip::identity
