#include "storage/simulated_data_verifier.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace p2psip::storage {
namespace {

// Checksum only: see the header. The algorithm pair says "no hash" yet is not
// the {anonymous, none} that §7.4.1.1 reserves for synthesized values.
constexpr wire::signature_and_hash_algorithm simulated_algorithm{wire::hash_algorithm::none,
                                                                 wire::signature_algorithm::ecdsa};

std::optional<std::array<std::uint8_t, 8>> checksum(const wire::resource_id& resource,
                                                    wire::kind_id kind,
                                                    const wire::stored_data& data) {
  const auto input = wire::stored_data_signature_input(resource, kind, data);
  if (!input) return std::nullopt;
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (const auto byte : *input) h = (h ^ byte) * 0x100000001b3ULL;
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(h >> (56 - 8 * i));
  return out;
}

}  // namespace

bool sign_simulated(const wire::resource_id& resource, wire::kind_id kind, wire::stored_data& data,
                    const signer& as) {
  wire::signer_identity identity;
  identity.type = simulated_identity_type;
  identity.hash.assign(as.node.bytes().begin(), as.node.bytes().end());
  if (as.user_name)
    identity.hash.insert(identity.hash.end(), as.user_name->begin(), as.user_name->end());
  data.signature = {};
  data.signature.algorithm = simulated_algorithm;
  data.signature.identity = std::move(identity);
  const auto sum = checksum(resource, kind, data);
  if (!sum) return false;
  data.signature.value.assign(sum->begin(), sum->end());
  return true;
}

verify_result simulated_data_verifier::verify(const wire::resource_id& resource, wire::kind_id kind,
                                              const wire::stored_data& data,
                                              std::span<const wire::generic_certificate>,
                                              time_point) {
  const auto& identity = data.signature.identity;
  if (identity.type != simulated_identity_type || identity.hash.size() < wire::node_id_length) {
    return verify_error{verify_errc::unknown_signer, "not a simulated SignerIdentity (type " +
                                                         std::to_string(identity.type) + ")"};
  }
  if (data.signature.algorithm != simulated_algorithm) {
    return verify_error{verify_errc::unsupported, "not a simulated signature algorithm"};
  }
  const auto sum = checksum(resource, kind, data);
  if (!sum || !std::equal(sum->begin(), sum->end(), data.signature.value.begin(),
                          data.signature.value.end())) {
    return verify_error{verify_errc::bad_signature, "the checksum does not match the data"};
  }
  const auto id_end = identity.hash.begin() + wire::node_id_length;
  signer who;
  who.node = *wire::node_id::from_span({identity.hash.begin(), id_end});
  if (id_end != identity.hash.end()) who.user_name.emplace(id_end, identity.hash.end());
  return who;
}

std::vector<wire::generic_certificate> simulated_data_verifier::certificates_for(
    const wire::store_req&) const {
  return {};
}

}  // namespace p2psip::storage
