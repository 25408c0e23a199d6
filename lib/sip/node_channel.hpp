// Delivery of SIP between daemons (RFC 7904 §5): an ordered, reliable byte
// stream per peer node (AppAttach, application 5060, over a TLS link).
//
// Bridging into nta. nta must keep owning transactions, retransmissions and
// timers, so the streams reach it as ordinary SIP-over-TCP connections on
// loopback. The daemon splices:
//
//  * outbound: `open(node)` makes (or reuses) an AppAttach stream to `node`
//    and a loopback TCP listener bound to it, and yields that listener's
//    address. The front sends the request there with
//    `sip:127.0.0.1:<port>;transport=tcp` as the next hop; nta connects, the
//    daemon accepts and pipes bytes both ways. Responses come back on the same
//    TCP connection (RFC 3261 §18.2.2), so Via needs no overlay knowledge.
//  * inbound: when a peer AppAttaches to us, the daemon opens a loopback TCP
//    connection to `sip_front::tcp_endpoint()` and pipes bytes both ways; nta
//    sees one more TCP client. Responses return over that connection.
//
// Record-Route. The front record-routes with
// `<sip:HOST:PORT;transport=tcp;lr;p2p=NODEHEX>`: a local softphone reaches
// HOST:PORT, while a remote daemon that finds a Route with a foreign `p2p`
// parameter sends the request through `open(NODEHEX)` instead of to HOST.
//
// Loops. A request handed to another daemon for an AOR carries the
// Request-URI parameter `p2p-local`: the receiving front resolves it against
// its own bindings only (480 when gone) and never asks the overlay again, so
// a stale SIP-REGISTRATION value cannot bounce it between daemons.
//
// Threading: `open` is called on the overlay thread (posted there by the
// front); `done` may run on that thread; the front re-posts it to su_root.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "wire/ids.hpp"

namespace p2psip::sip {

struct stream_endpoint {
  std::string host;  // "127.0.0.1" for the splice
  std::uint16_t port = 0;
  friend bool operator==(const stream_endpoint&, const stream_endpoint&) = default;
};

class node_channel {
 public:
  virtual ~node_channel() = default;
  // A loopback TCP endpoint that reaches `peer`, or nullopt when the peer
  // cannot be reached (AppAttach failed, no route): the front answers 480.
  virtual void open(const wire::node_id& peer,
                    std::function<void(std::optional<stream_endpoint>)> done) = 0;
  // `lost` runs each time a node is found unreachable: an open failed, or a
  // stream that carried SIP broke and the node could not be reached again.
  // The front ends the dialogs that go through it.
  virtual void on_unreachable(std::function<void(const wire::node_id&)> lost) = 0;
};

}  // namespace p2psip::sip
