// Identifier hashing: Resource-IDs (CHORD-RELOAD §10.2) and the overlay field
// of the forwarding header (§6.3.2).
#pragma once

#include <span>
#include <string_view>

#include "wire/ids.hpp"

namespace p2psip::wire {

// SHA-1 of the resource name, truncated to 128 bits (§10.2).
resource_id hash_resource_name(std::span<const std::uint8_t> name);
resource_id hash_resource_name(std::string_view name);
// The lower 32 bits of SHA-1 of the overlay name (§6.3.2).
overlay_hash hash_overlay_name(std::string_view name);

}  // namespace p2psip::wire
