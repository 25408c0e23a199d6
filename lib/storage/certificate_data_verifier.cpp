#include "storage/certificate_data_verifier.hpp"

#include <algorithm>

namespace p2psip::storage {
namespace {

verify_errc classify(identity::identity_errc code) noexcept {
  using identity::identity_errc;
  switch (code) {
    case identity_errc::invalid_signer_identity:
    case identity_errc::unknown_signer:
    case identity_errc::malformed_certificate: return verify_errc::unknown_signer;
    case identity_errc::bad_signature: return verify_errc::bad_signature;
    case identity_errc::certificate_expired:
    case identity_errc::certificate_not_yet_valid:
    case identity_errc::untrusted_chain:
    case identity_errc::node_id_not_in_certificate:
    case identity_errc::self_signed_forbidden:
    case identity_errc::self_signed_node_id_mismatch: return verify_errc::untrusted_signer;
    default: return verify_errc::unsupported;
  }
}

}  // namespace

signer to_signer(const identity::verified_signer& verified) {
  return {verified.identity.user_name, verified.node};
}

verify_result certificate_data_verifier::verify(
    const wire::resource_id& resource, wire::kind_id kind, const wire::stored_data& data,
    std::span<const wire::generic_certificate> certificates, time_point now) {
  auto verified =
      signatures_.verify_stored_data(resource, kind, data, certificates, std::nullopt, now);
  if (!verified) return verify_error{classify(verified.error().code), verified.error().describe()};
  return to_signer(*verified);
}

std::vector<wire::generic_certificate> certificate_data_verifier::certificates_for(
    const wire::store_req& request) const {
  std::vector<wire::generic_certificate> out;
  for (const auto& block : request.kind_data) {
    const auto* values = std::get_if<std::vector<wire::stored_data>>(&block.values);
    if (values == nullptr) continue;
    for (const auto& value : *values) {
      const auto match = cache_.find(value.signature.identity);
      if (!match) continue;
      wire::generic_certificate cert{.certificate = match->certificate.der()};
      if (std::find(out.begin(), out.end(), cert) == out.end()) out.push_back(std::move(cert));
    }
  }
  return out;
}

}  // namespace p2psip::storage
