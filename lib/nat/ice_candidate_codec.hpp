// ICE descriptions to and from RFC 6940 Attach bodies (§6.5.1): candidates
// as IceCandidate with the DTLS-UDP-SR overlay link, credentials as the
// ufrag and password opaques, and the role string of §6.5.1.2.
#pragma once

#include <optional>

#include "nat/ice_candidate.hpp"
#include "wire/attach.hpp"

namespace p2psip::nat {

// Nothing for a peer-reflexive candidate, which IceCandidate cannot carry
// (CandType 3 is reserved) and RFC 8445 never signals.
std::optional<wire::ice_candidate> to_wire(const ice_candidate& candidate);

// Nothing for a candidate this agent cannot use: another overlay link, an
// unknown or unspecified address, port 0, or a type without a layout.
std::optional<ice_candidate> from_wire(const wire::ice_candidate& candidate);

// The body `our_role`'s side sends: controlling sends the AttachReq with role
// "passive", controlled the AttachAns with "active". Candidates to_wire drops
// are left out.
wire::attach_req_ans to_attach_body(const ice_description& local, ice_role our_role);

// The other side's description from the body it sent us. Nothing when its
// role is not the one opposite `our_role` or its credentials are shorter than
// RFC 8445 §5.3 allows (4 ufrag, 22 password characters). Unusable
// candidates are skipped.
std::optional<ice_description> from_attach_body(const wire::attach_req_ans& body,
                                                ice_role our_role);

}  // namespace p2psip::nat
