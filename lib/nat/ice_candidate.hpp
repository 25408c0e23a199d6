// ICE as the Asio side sees it (RFC 8445): roles, candidates, credentials,
// and one side's description (what an Attach body carries). Plain values,
// independent of libnice and of the RELOAD encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nat/stun_attributes.hpp"

namespace p2psip::nat {

// RFC 6940 §6.5.1.9: the sender of the Attach request controls.
enum class ice_role { controlling, controlled };

// Peer-reflexive candidates are learned during checks and never signalled.
enum class ice_candidate_type { host, srflx, prflx, relay };

constexpr const char* to_string(ice_candidate_type type) noexcept {
  switch (type) {
    case ice_candidate_type::host: return "host";
    case ice_candidate_type::srflx: return "srflx";
    case ice_candidate_type::prflx: return "prflx";
    case ice_candidate_type::relay: return "relay";
  }
  return "?";
}

// One UDP candidate of the single component RELOAD uses (§6.5.1.5).
struct ice_candidate {
  transport_address address;
  ice_candidate_type type = ice_candidate_type::host;
  std::uint32_t priority = 0;
  std::string foundation;
  // The base (srflx, prflx) or the mapped address the relay saw (relay).
  std::optional<transport_address> related;
  friend bool operator==(const ice_candidate&, const ice_candidate&) = default;
};

// The short-term credentials of one side (RFC 8445 §5.3).
struct ice_credentials {
  std::string ufrag;
  std::string password;
  friend bool operator==(const ice_credentials&, const ice_credentials&) = default;
};

// What one side tells the other: its credentials and candidates.
struct ice_description {
  ice_credentials credentials;
  std::vector<ice_candidate> candidates;
  friend bool operator==(const ice_description&, const ice_description&) = default;
};

}  // namespace p2psip::nat
