// The last-known peers file (STATE_DIR/peers): the overlay addresses and
// Node-IDs of the peers this node was linked to, written on a timer and at
// shutdown, and dialled at the next start like bootstrap peers, so that a
// restarted node rejoins without bootstrap configuration or discovery.
//
// Format: one peer a line, "<node-id hex> <ip address> <port>"; '#' starts a
// comment. A bad line is skipped with a warning: the file is a hint, and a
// damaged one must not stop the daemon.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "wire/ids.hpp"

namespace p2psip::bootstrap {

struct known_peer {
  wire::node_id node_id;
  boost::asio::ip::tcp::endpoint address;
  bool operator==(const known_peer&) const = default;
};

// At most this many peers are written or read.
inline constexpr std::size_t max_known_peers = 64;

std::string format_known_peers(const std::vector<known_peer>& peers);

struct parsed_known_peers {
  std::vector<known_peer> peers;
  std::vector<std::string> warnings;  // "line N: why", one per skipped line
};
parsed_known_peers parse_known_peers(std::string_view text);

// Atomic, mode 0600 (the file tells who this node talks to). An empty
// string on success, else the reason.
std::string save_known_peers(const std::filesystem::path& file,
                             const std::vector<known_peer>& peers);
// A missing file is no peers and no warning.
parsed_known_peers load_known_peers(const std::filesystem::path& file);

}  // namespace p2psip::bootstrap
