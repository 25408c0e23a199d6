// The access-control policies of RFC 6940 §7.3: may `signer` write this value
// of this Kind at this Resource-ID? "Hashes to the Resource-ID" uses the
// overlay's hash, CHORD-RELOAD's truncated SHA-1 (wire::hash_resource_name).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/kind_definition.hpp"
#include "storage/signer.hpp"
#include "wire/ids.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::storage {

// USER-MATCH and USER-NODE-MATCH: H(user name).
wire::resource_id user_resource(std::string_view user_name);
// NODE-MATCH: H(Node-ID), the Node-ID's bytes as the Resource Name (§8 stores
// a node's certificate "at a hash of its Node-ID").
wire::resource_id node_resource(const wire::node_id& node);
// NODE-MULTIPLE: H(Node-ID || i). The RFC does not fix how i is written; it is
// one byte here, like the iteration d of TurnServer (§9) that names it, and
// runs from 1 as TURN's d does.
wire::resource_id node_multiple_resource(const wire::node_id& node, std::uint8_t i);

// Why `who` may not write `value` of `kind` at `resource`, or nullopt when the
// Kind's policy allows it. The text is meant for an Error_Forbidden's
// error_info. USER-NODE-MATCH needs a dictionary entry keyed by the signer's
// Node-ID bytes; any other model is refused. INBOX (p2psip's own, for
// offline messages) allows a dictionary key that starts with the signer's
// Node-ID bytes (a sender writes its own entries), or any key when the
// signer's user name hashes to the Resource-ID (the recipient removes
// delivered ones).
std::optional<std::string> check_access(const kind_definition& kind,
                                        const wire::resource_id& resource,
                                        const wire::stored_data_value& value, const signer& who);

}  // namespace p2psip::storage
