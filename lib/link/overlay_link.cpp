#include "link/overlay_link.hpp"

namespace p2psip::link {

const char* to_string(send_result result) noexcept {
  switch (result) {
    case send_result::queued: return "queued";
    case send_result::not_connected: return "not connected";
    case send_result::empty_message: return "empty message";
    case send_result::message_too_large: return "message too large";
    case send_result::queue_full: return "send queue full";
  }
  return "?";
}

send_result overlay_link::send(std::vector<std::uint8_t> message) {
  if (!established()) return send_result::not_connected;
  if (message.empty()) return send_result::empty_message;
  if (message.size() > max_message_size()) return send_result::message_too_large;
  return accept(std::move(message)) ? send_result::queued : send_result::queue_full;
}

std::string overlay_link::peer_name() const {
  if (!peer_node_ids().empty()) return peer_node_ids().front().hex();
  if (expected_peer_) return expected_peer_->hex() + " (unauthenticated)";
  return "unauthenticated inbound peer";
}

}  // namespace p2psip::link
