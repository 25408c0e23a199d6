// What turn_core needs from sockets, so its logic runs without any: the
// Asio turn_server implements it, tests implement it with vectors.
#pragma once

#include <optional>

#include "nat/five_tuple.hpp"
#include "nat/stun_message.hpp"

namespace p2psip::nat {

enum class relay_port { any, even };

class relay_io {
 public:
  virtual ~relay_io() = default;

  // A new relay socket on a free port of the configured range; nothing when
  // none is free.
  virtual std::optional<transport_address> open_relay(relay_port wanted) = 0;
  // A new relay socket at exactly this address (EVEN-PORT's N+1); false when
  // it is taken.
  virtual bool open_relay_at(const transport_address& relayed) = 0;
  virtual void close_relay(const transport_address& relayed) = 0;

  virtual void send_to_peer(const transport_address& relayed, const transport_address& peer,
                            bytes_view data) = 0;
  // One STUN message or ChannelData to the client of this 5-tuple; over
  // streams the bytes arrive already padded.
  virtual void send_to_client(const five_tuple& client, bytes_view bytes) = 0;
};

}  // namespace p2psip::nat
