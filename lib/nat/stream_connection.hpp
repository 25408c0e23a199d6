// One TURN client over TCP or TLS (RFC 5766 §2.1): STUN messages and padded
// ChannelData back to back, cut by stream_framer, and a bounded write queue.
// Runs on the io_context's thread; its handlers keep it alive through
// shared_ptr, so closing from inside a callback is safe.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "nat/channel_data.hpp"

namespace p2psip::nat {

// What turn_server holds of a connection, whatever its stream.
class client_stream {
 public:
  virtual ~client_stream() = default;
  // Queues one whole message; dropped when the client reads too slowly.
  virtual void send(bytes_view bytes) = 0;
  // Closes without calling back.
  virtual void close() = 0;
};

struct stream_handlers {
  std::function<void(bytes_view frame)> on_frame;
  std::function<void()> on_malformed;  // the stream is out of sync: it is closed next
  std::function<void()> on_closed;     // once, when the client goes or the stream fails
};

template <class Stream>
class stream_connection final : public client_stream,
                                public std::enable_shared_from_this<stream_connection<Stream>> {
 public:
  stream_connection(Stream stream, stream_handlers handlers);

  // Handshakes first over TLS, within `handshake_timeout`, then reads.
  void start(std::chrono::seconds handshake_timeout);
  void send(bytes_view bytes) override;
  void close() override;

 private:
  void read_more();
  void write_more();
  void fail();

  Stream stream_;
  stream_handlers handlers_;
  boost::asio::steady_timer handshake_timer_;
  stream_framer framer_;
  std::array<std::uint8_t, 16384> buffer_{};
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
};

using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
extern template class stream_connection<boost::asio::ip::tcp::socket>;
extern template class stream_connection<tls_stream>;

}  // namespace p2psip::nat
