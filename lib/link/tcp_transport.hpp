// TCP as a byte_stream for overlay links, on Boost.Asio. Everything here runs
// on the io_context's thread; handlers keep their objects alive through
// shared_ptr, so closing from inside a callback is safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "link/byte_stream.hpp"
#include "link/link_config.hpp"

namespace p2psip::link {

class tcp_stream final : public byte_stream, public std::enable_shared_from_this<tcp_stream> {
 public:
  tcp_stream(boost::asio::ip::tcp::socket socket, milliseconds close_linger);

  void start(byte_stream_handler& handler) override;
  void write(std::vector<std::uint8_t> bytes) override;
  std::size_t queued_bytes() const override { return queued_bytes_; }
  void close(close_mode mode) override;
  // Stops calling the handler and reading, keeping the connection open:
  // start() hands it to another handler (a relay that replaces its far side).
  void detach() noexcept { handler_ = nullptr; }

 private:
  void read_more();
  void write_more();
  void shut_down();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer linger_;
  milliseconds close_linger_;
  byte_stream_handler* handler_ = nullptr;
  std::deque<std::vector<std::uint8_t>> write_queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool reading_ = false;  // a wait for readable data is pending
  bool closing_ = false;
  bool reset_ = false;  // close with RST (close_mode::reset)
};

// Accepts connections and hands each one over as a tcp_stream.
class tcp_listener final : public std::enable_shared_from_this<tcp_listener> {
 public:
  using accept_handler = std::function<void(std::shared_ptr<tcp_stream>)>;
  using error_handler = std::function<void(const std::string& reason)>;

  // Binds and listens; port 0 picks an ephemeral port. Throws
  // boost::system::system_error when the address cannot be bound.
  static std::shared_ptr<tcp_listener> open(boost::asio::io_context& io,
                                            const boost::asio::ip::tcp::endpoint& endpoint,
                                            milliseconds close_linger, accept_handler on_accept,
                                            error_handler on_error);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void close();

  // Public for make_shared; use open().
  tcp_listener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
               milliseconds close_linger, accept_handler on_accept, error_handler on_error);

 private:
  void accept_next();

  boost::asio::ip::tcp::acceptor acceptor_;
  milliseconds close_linger_;
  accept_handler on_accept_;
  error_handler on_error_;
};

// Connects; exactly one of stream and error reason is set in the callback.
void tcp_connect(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                 milliseconds close_linger,
                 std::function<void(std::shared_ptr<tcp_stream>, const std::string& error)> done);

}  // namespace p2psip::link
