#include "identity/signature_input.hpp"

namespace p2psip::identity {

std::array<std::uint8_t, 12> message_signature_prefix(wire::overlay_hash overlay,
                                                      wire::transaction_id transaction) noexcept {
  std::array<std::uint8_t, 12> out{};
  for (int i = 0; i < 4; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(overlay.value >> (24 - 8 * i));
  }
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(4 + i)] =
        static_cast<std::uint8_t>(transaction.value >> (56 - 8 * i));
  }
  return out;
}

result<std::vector<std::uint8_t>> stored_data_input(const wire::resource_id& resource,
                                                    wire::kind_id kind,
                                                    const wire::stored_data& data) {
  auto input = wire::stored_data_signature_input(resource, kind, data);
  if (!input) {
    return identity_error{identity_errc::invalid_signer_identity,
                          "cannot encode the signed StoredData: " + input.error().describe()};
  }
  return std::move(*input);
}

}  // namespace p2psip::identity
