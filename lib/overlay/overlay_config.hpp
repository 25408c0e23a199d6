// The overlay parameters the core needs, RFC 6940 §11.1 names in comments.
// The daemon fills this from its YAML; the simulator from its command line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "overlay/timer_service.hpp"
#include "wire/ids.hpp"

namespace p2psip::overlay {

struct overlay_config {
  wire::overlay_hash overlay{0};           // hash of overlay-instance-name
  wire::config_sequence sequence{0};       // the configuration's sequence
  std::size_t max_message_size = 5000;     // max-message-size: reassembled size cap
  std::uint8_t initial_ttl = 100;          // initial-ttl
  duration reliability_timer = std::chrono::seconds(3);          // overlay-reliability-timer
  duration chord_update_interval = std::chrono::seconds(600);    // chord-update-interval
  duration chord_ping_interval = std::chrono::seconds(3600);     // chord-ping-interval
  bool chord_reactive = true;                                    // chord-reactive
  // RFC 7363 self-tuning of the stabilization interval and table sizes;
  // chord_update_interval serves until estimates exist.
  bool self_tuning = true;
  // A Via List longer than this is replaced by one compressed entry (§6.1.2).
  std::size_t compress_via_after = 8;
  // Joining gives up on an admitting peer after this long and retries.
  duration join_timeout = std::chrono::seconds(20);
};

}  // namespace p2psip::overlay
