// How the membership keeper reaches peers: by address (bootstrap nodes,
// last-known peers) or by Node-ID (LAN discovery). The daemon implements it
// on its TLS links (link_dialler.hpp), the tests on a simulated network.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "wire/ids.hpp"

namespace p2psip::bootstrap {

// A bootstrap node as configured: a host name or address, and a port.
struct peer_address {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const peer_address&) const = default;
  std::string text() const { return host + ":" + std::to_string(port); }
};

class peer_dialler {
 public:
  // The Node-ID found at an address, or nullopt and why not.
  using identified_handler =
      std::function<void(std::optional<wire::node_id> peer, const std::string& failure)>;

  virtual ~peer_dialler() = default;
  // Links to whoever listens at `where`; `identified` runs once, before the
  // link-up is reported (or instead of it when that peer was linked already).
  virtual void dial_address(const peer_address& where, identified_handler identified) = 0;
  // Links to a peer whose Node-ID is known.
  virtual void dial(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& where) = 0;
  virtual bool connected(const wire::node_id& peer) const = 0;
  virtual std::size_t link_count() const = 0;
  // Where a linked peer listens for overlay links, when known.
  virtual std::optional<boost::asio::ip::tcp::endpoint> listen_address(
      const wire::node_id& peer) const = 0;
};

}  // namespace p2psip::bootstrap
