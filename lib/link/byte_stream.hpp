// The ordered, reliable byte stream a TLS link runs over: TCP today, an ICE
// stream later, an in-memory pipe in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "wire/byte_reader.hpp"

namespace p2psip::link {

class byte_stream_handler {
 public:
  virtual void on_stream_data(wire::bytes_view data) = 0;
  // Some queued bytes were written; the sender may hand over more.
  virtual void on_stream_drained() = 0;
  // End of stream or a transport error; no further calls follow.
  virtual void on_stream_closed(std::string_view reason) = 0;

 protected:
  ~byte_stream_handler() = default;
};

enum class close_mode {
  graceful,  // write what is queued (bounded by a linger time), then close
  abort,     // drop what is queued and close now
  // As graceful, but end with a TCP reset instead of a FIN: the other end
  // then sees an error, not an orderly end (a relay whose far side broke).
  // Bytes the kernel has not yet delivered to the other end are dropped.
  reset,
};

// All calls, and all handler calls, happen on the stream's own thread.
class byte_stream {
 public:
  virtual ~byte_stream() = default;
  virtual void start(byte_stream_handler& handler) = 0;
  virtual void write(std::vector<std::uint8_t> bytes) = 0;
  // Bytes accepted by write() and not yet handed to the network.
  virtual std::size_t queued_bytes() const = 0;
  // Detaches the handler: it is not called again.
  virtual void close(close_mode mode) = 0;
};

}  // namespace p2psip::link
