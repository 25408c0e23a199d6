// The presence agent's state across a restart: STATE_DIR/presence-state,
// mode 0600, replaced atomically whenever it changes (a PUBLISH or
// SUBSCRIBE, one ending; NOTIFYs' CSeqs within a second).
// {"format": "p2psipd-presence", "version": 1,
//  "publications": [{"aor", "etag", "document", "until": UNIX-SECONDS}],
//  "subscriptions": [{"aor", "call_id", "local", "remote", "route",
//                     "target", "cseq", "followed", "until"}]},
// publications oldest modification first. The entity-tags are kept, so a
// phone's refresh (SIP-If-Match) after the restart still matches, and so
// are the subscriptions' dialogs, so watchers keep hearing of changes
// without subscribing again. A damaged file is ignored (logged): phones
// publish again, and watchers subscribe again when their refresh gets 481.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "sip/sip_front.hpp"

namespace p2psip::usage {

inline constexpr const char* presence_state_file_name = "presence-state";
inline constexpr std::size_t max_presence_state_file_bytes = std::size_t{16} << 20;

std::string presence_state_text(const sip::saved_presence& state,
                                std::chrono::system_clock::time_point now);
// nullopt when the text is not a presence state file; entries whose time
// ran out are left out.
std::optional<sip::saved_presence> parse_presence_state(std::string_view text,
                                                        std::chrono::system_clock::time_point now);

}  // namespace p2psip::usage
