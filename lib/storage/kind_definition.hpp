// What a node knows about one Kind (RFC 6940 §7.4.5, §11.1 kind element): its
// data model, access-control policy and the per-Kind storage limits. The
// defaults cover the Kinds of RFC 6940 §8-9 and RFC 7904 §7 plus p2psip's own
// application-data Kind; the daemon's configuration may override the limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/ids.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::storage {

// The §7.3 policies, named by their configuration strings.
// `inbox` is p2psip's own, for SIP-INBOX (below): see access_control.hpp.
enum class access_policy : std::uint8_t {
  user_match,
  node_match,
  user_node_match,
  node_multiple,
  inbox
};

const char* to_string(access_policy policy) noexcept;

// Third-party data stored through the control socket: a dictionary at
// H(user name), writable by that user only. 0xF0000001 is the first Kind-ID of
// the private-use range (RFC 6940 §14.6).
inline constexpr wire::kind_id app_data_kind{0xf0000001};
// Offline SIP messages (lib/usage/sip_inbox.hpp): a dictionary at
// H(user@domain) keyed by the sender node's Node-ID and a sequence number.
inline constexpr wire::kind_id sip_inbox_kind{0xf0000002};

struct kind_definition {
  wire::kind_id kind;
  wire::data_model model = wire::data_model::single_value;
  access_policy policy = access_policy::user_match;
  // max-count: values per Resource-ID. For arrays it bounds the array length
  // (every index must be below it), which also bounds the gaps a Fetch fills.
  std::uint32_t max_count = 1;
  // max-size: bytes of one DataValue's value.
  std::uint32_t max_size = 1024;
  // max-node-multiple: the largest i of H(Node-ID || i); NODE-MULTIPLE only.
  std::uint32_t max_node_multiple = 0;
  // False for a Kind that Find must not reveal (§7.4.4.2).
  bool findable = true;
  friend bool operator==(const kind_definition&, const kind_definition&) = default;
};

// Why a definition cannot be used, or nullopt: USER-NODE-MATCH needs a
// dictionary (§7.3.3), NODE-MULTIPLE a max_node_multiple of 1..255 (i is one
// byte, see access_control.hpp), every Kind a non-zero max_count and Kind-ID.
std::optional<std::string> validate(const kind_definition& definition);

// The built-in definitions: SIP-REGISTRATION, TURN-SERVICE,
// CERTIFICATE_BY_NODE, CERTIFICATE_BY_USER, app_data_kind and sip_inbox_kind.
std::vector<kind_definition> default_kind_definitions();

}  // namespace p2psip::storage
