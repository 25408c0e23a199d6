// ICE candidates as SDP carries them (RFC 8839 §5.1), to and from the nat
// layer's values: "<foundation> <component> UDP <priority> <address> <port>
// typ <type> [raddr <address> rport <port>]". Between daemons a media
// stream has one component (RTCP is muxed), so only component 1 is taken.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "nat/ice_candidate.hpp"

namespace p2psip::media {

// Nothing for anything else than a well-formed UDP candidate of component 1
// with an IP address (a host name or an mDNS name would need resolving);
// unknown extension attributes are ignored, as §5.1 asks.
std::optional<nat::ice_candidate> parse_sdp_candidate(std::string_view value);

// The attribute's value, component 1, transport UDP.
std::string format_sdp_candidate(const nat::ice_candidate& candidate);

// ice-char (ALPHA / DIGIT / "+" / "/"): what foundations, ufrags and
// passwords are made of (RFC 8839 §5.1, §5.4).
bool is_ice_chars(std::string_view text) noexcept;

}  // namespace p2psip::media
