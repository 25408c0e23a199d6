#include "identity/self_signed.hpp"

#include <algorithm>
#include <array>

#include "identity/certificate_builder.hpp"

namespace p2psip::identity {

result<std::vector<wire::node_id>> self_signed_node_ids(const EVP_PKEY* key,
                                                        wire::hash_algorithm digest_algorithm,
                                                        std::size_t count) {
  if (digest_algorithm != wire::hash_algorithm::sha1 &&
      digest_algorithm != wire::hash_algorithm::sha256) {
    return identity_error{identity_errc::unsupported_algorithm,
                          "self-signed-permitted digest must be sha1 or sha256"};
  }
  const auto spki = public_key_der(key);
  if (!spki) return spki.error();
  std::vector<wire::node_id> ids;
  for (std::uint32_t index = 1; index <= count; ++index) {
    const std::array<std::uint8_t, 4> prefix = {
        static_cast<std::uint8_t>(index >> 24), static_cast<std::uint8_t>(index >> 16),
        static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index)};
    const auto hash = count == 1 ? digest(digest_algorithm, {*spki})
                                 : digest(digest_algorithm, {prefix, *spki});
    if (!hash) return hash.error();
    wire::node_id::bytes_type bytes;
    std::copy_n(hash->begin(), bytes.size(), bytes.begin());
    ids.emplace_back(bytes);
  }
  return ids;
}

result<node_certificate> make_self_signed_certificate(const key_pair& key,
                                                      const self_signed_request& request,
                                                      time_point now) {
  if (!is_valid_user_name(request.user_name)) {
    return identity_error{identity_errc::invalid_user_name, request.user_name};
  }
  auto ids = self_signed_node_ids(key.native(), request.digest, request.node_id_count);
  if (!ids) return ids.error();
  certificate_spec spec;
  spec.subject_key = key.native();
  spec.node_ids = std::move(*ids);
  spec.overlay = request.overlay;
  spec.user_name = request.user_name;
  spec.not_before = now;
  spec.not_after = now + request.lifetime;
  return issue_certificate(spec, key, nullptr);
}

status check_self_signed_node_ids(const node_certificate& cert, wire::hash_algorithm digest) {
  auto claimed = cert.node_ids();
  if (claimed.empty()) {
    return identity_error{identity_errc::self_signed_node_id_mismatch, "no Node-ID"};
  }
  auto derived = self_signed_node_ids(cert.public_key(), digest, claimed.size());
  if (!derived) return derived.error();
  // Each Node-ID's index fixes its derivation; their order in the SAN does not matter.
  std::sort(claimed.begin(), claimed.end());
  std::sort(derived->begin(), derived->end());
  if (*derived != claimed) {
    return identity_error{identity_errc::self_signed_node_id_mismatch,
                          "Node-ID " + claimed.front().hex() + " is not derived from the key"};
  }
  if (X509_verify(cert.native(), cert.public_key()) != 1) {
    return openssl_error(identity_errc::bad_signature, "self-signature does not verify");
  }
  return {};
}

}  // namespace p2psip::identity
