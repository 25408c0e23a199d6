// The media anchor (lib/media/media_anchor.hpp) as p2psipd sets it up: its
// configuration from media.* (and sip.listen-address), sip.dialogs' media
// member and the media metrics. The anchor itself runs on its own threads;
// these helpers run on the daemon's.
#pragma once

#include <vector>

#include <boost/json.hpp>

#include "daemon/daemon_config.hpp"
#include "media/media_anchor.hpp"

namespace p2psip::daemon {

media::media_anchor_config media_anchor_config_of(const daemon_config& config);

// {Call-ID: [one object per anchored stream]} for sip.dialogs: the path
// (local and remote candidate types, relay), SRTP, packets, bytes, loss
// and jitter each way.
boost::json::object calls_media_json(const std::vector<media::call_report>& calls);

}  // namespace p2psip::daemon
