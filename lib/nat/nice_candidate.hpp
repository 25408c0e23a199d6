// libnice's NiceCandidate and NiceAddress to and from this layer's values.
// Pure conversions: no agent, any thread.
#pragma once

#include <memory>

#include <nice/agent.h>

#include "nat/ice_candidate.hpp"

namespace p2psip::nat {

// RELOAD uses one component per stream (RFC 6940 §6.5.1.5).
inline constexpr guint nice_component_id = 1;

struct nice_candidate_deleter {
  void operator()(NiceCandidate* candidate) const noexcept { nice_candidate_free(candidate); }
};
using nice_candidate_ptr = std::unique_ptr<NiceCandidate, nice_candidate_deleter>;

transport_address to_transport_address(const NiceAddress& address);
NiceAddress to_nice_address(const transport_address& address);

// The base becomes `related` for every type but host; UDP is assumed (this
// agent gathers UDP only).
ice_candidate from_nice(const NiceCandidate& candidate);

// A remote candidate for `stream_id`, component 1, UDP, with the stream's
// credentials (no per-candidate username or password).
nice_candidate_ptr to_nice(const ice_candidate& candidate, guint stream_id);

}  // namespace p2psip::nat
