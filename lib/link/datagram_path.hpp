// The unreliable datagram path a DTLS link runs over: the pair ICE selected
// (lib/nat hands its datagrams over), a connected UDP socket, or an in-memory
// pair in tests. Datagrams may be lost, duplicated or reordered; their
// boundaries are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "wire/byte_reader.hpp"

namespace p2psip::link {

using datagram_buffer = std::vector<std::uint8_t>;

class datagram_handler {
 public:
  virtual void on_datagram(wire::bytes_view datagram) = 0;
  // The path failed (socket error, ICE pair lost); no further calls follow.
  virtual void on_path_closed(std::string_view reason) = 0;

 protected:
  ~datagram_handler() = default;
};

// All calls, and all handler calls, happen on the path's own thread.
class datagram_path {
 public:
  virtual ~datagram_path() = default;
  virtual void start(datagram_handler& handler) = 0;
  // Best effort, never blocks. The caller keeps datagrams within mtu().
  virtual void send(datagram_buffer datagram) = 0;
  // The largest datagram (UDP payload bytes) the path carries without IP
  // fragmentation.
  virtual std::size_t mtu() const = 0;
  // Detaches the handler: it is not called again.
  virtual void close() = 0;
  // Whether the path notices on its own that the far end stopped answering
  // (ICE consent freshness), so idle links need not probe it as often.
  virtual bool checks_liveness() const noexcept { return false; }
};

// UDP payload that fits the IPv6 minimum link MTU (1280) after the IPv6 and
// UDP headers (40 + 8), so no path needs IP fragmentation.
inline constexpr std::size_t safe_udp_payload = 1280 - 40 - 8;

}  // namespace p2psip::link
