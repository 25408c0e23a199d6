// What RELOAD signatures cover, shared by the signer and the verifier so the
// two cannot drift apart.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "identity/identity_error.hpp"
#include "wire/ids.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::identity {

// overlay || transaction_id, the forwarding-header part of a message
// signature's input (§6.3.4); MessageContents and SignerIdentity follow.
std::array<std::uint8_t, 12> message_signature_prefix(wire::overlay_hash overlay,
                                                      wire::transaction_id transaction) noexcept;

// The whole §7.1 input, SignerIdentity taken from data.signature.identity.
result<std::vector<std::uint8_t>> stored_data_input(const wire::resource_id& resource,
                                                    wire::kind_id kind,
                                                    const wire::stored_data& data);

}  // namespace p2psip::identity
