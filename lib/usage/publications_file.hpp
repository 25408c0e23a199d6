// The presence agent's publications across a restart: STATE_DIR/
// presence-publications, mode 0600, replaced atomically whenever they
// change (a PUBLISH, one expiring). {"format": "p2psipd-publications",
// "version": 1, "publications": [{"aor", "etag", "document",
// "until": UNIX-SECONDS}]}, oldest modification first. The entity-tags are
// kept, so a phone's refresh (SIP-If-Match) after the restart still
// matches. A damaged file is ignored (logged) and the phones publish again.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/sip_front.hpp"

namespace p2psip::usage {

inline constexpr const char* publications_file_name = "presence-publications";
inline constexpr std::size_t max_publications_file_bytes = std::size_t{16} << 20;

std::string publications_text(const std::vector<sip::saved_publication>& all,
                              std::chrono::system_clock::time_point now);
// nullopt when the text is not a publications file; publications whose
// time ran out are left out.
std::optional<std::vector<sip::saved_publication>> parse_publications(
    std::string_view text, std::chrono::system_clock::time_point now);

}  // namespace p2psip::usage
