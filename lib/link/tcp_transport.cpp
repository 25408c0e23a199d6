#include "link/tcp_transport.hpp"

#include <span>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace p2psip::link {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr std::size_t read_size = 64 * 1024;

// Reads land in one buffer per thread, used only for the duration of a
// handler: an idle link owns no read buffer (it cost each link 64 KiB).
std::span<std::uint8_t> shared_read_buffer() {
  thread_local const auto buffer = std::make_unique_for_overwrite<std::uint8_t[]>(read_size);
  return {buffer.get(), read_size};
}
}  // namespace

tcp_stream::tcp_stream(asio::ip::tcp::socket socket, milliseconds close_linger)
    : socket_(std::move(socket)), linger_(socket_.get_executor()), close_linger_(close_linger) {
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // frames are latency-bound
  // A readiness wake-up may find nothing to read: that must not block the loop.
  socket_.non_blocking(true, ignored);
}

void tcp_stream::start(byte_stream_handler& handler) {
  handler_ = &handler;
  // After detach() a wait may still be pending: it serves the new handler.
  if (!reading_) read_more();
}

void tcp_stream::read_more() {
  reading_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    self->reading_ = false;
    if (self->handler_ == nullptr) return;
    const auto buffer = shared_read_buffer();
    std::size_t n = 0;
    if (!ec) n = self->socket_.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
    if (ec == asio::error::would_block) {
      self->read_more();
      return;
    }
    if (ec) {
      auto* handler = std::exchange(self->handler_, nullptr);
      handler->on_stream_closed(ec == asio::error::eof ? "peer closed the connection"
                                                       : ec.message());
      return;
    }
    self->handler_->on_stream_data(wire::bytes_view(buffer.data(), n));
    if (self->handler_ != nullptr && !self->reading_) self->read_more();
  });
}

void tcp_stream::write(std::vector<std::uint8_t> bytes) {
  if (closing_ || bytes.empty()) return;
  queued_bytes_ += bytes.size();
  write_queue_.push_back(std::move(bytes));
  if (!writing_) write_more();
}

void tcp_stream::write_more() {
  if (write_queue_.empty()) {
    if (closing_) shut_down();
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](error_code ec, std::size_t n) {
                      self->writing_ = false;
                      if (ec) {
                        // The read side reports the failure to the handler.
                        self->write_queue_.clear();
                        self->queued_bytes_ = 0;
                        self->shut_down();
                        return;
                      }
                      self->queued_bytes_ -= n;
                      self->write_queue_.pop_front();
                      // Continue before telling the handler, whose new writes
                      // must then queue behind the write in progress.
                      self->write_more();
                      if (self->handler_ != nullptr) self->handler_->on_stream_drained();
                    });
}

void tcp_stream::close(close_mode mode) {
  handler_ = nullptr;
  if (closing_) return;
  closing_ = true;
  if (mode == close_mode::abort) {
    // The buffer under an async_write in progress must outlive it.
    while (write_queue_.size() > (writing_ ? 1u : 0u)) {
      queued_bytes_ -= write_queue_.back().size();
      write_queue_.pop_back();
    }
  }
  reset_ = mode == close_mode::reset;
  if (mode == close_mode::abort || !writing_) {
    shut_down();
    return;
  }
  // Bound the wait for a peer that does not read our last bytes.
  linger_.expires_after(close_linger_);
  linger_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->shut_down();
  });
}

void tcp_stream::shut_down() {
  error_code ignored;
  linger_.cancel();
  if (reset_) {
    // A zero linger time makes close() send RST and drop unsent bytes.
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  } else {
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }
  socket_.close(ignored);
}

std::shared_ptr<tcp_listener> tcp_listener::open(asio::io_context& io,
                                                 const asio::ip::tcp::endpoint& endpoint,
                                                 milliseconds close_linger,
                                                 accept_handler on_accept, error_handler on_error) {
  auto listener = std::make_shared<tcp_listener>(io, endpoint, close_linger, std::move(on_accept),
                                                 std::move(on_error));
  listener->accept_next();
  return listener;
}

tcp_listener::tcp_listener(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                           milliseconds close_linger, accept_handler on_accept,
                           error_handler on_error)
    : acceptor_(io, endpoint), close_linger_(close_linger), on_accept_(std::move(on_accept)),
      on_error_(std::move(on_error)) {}

void tcp_listener::accept_next() {
  acceptor_.async_accept([self = shared_from_this()](error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      self->on_error_("accept failed: " + ec.message());
    } else {
      self->on_accept_(std::make_shared<tcp_stream>(std::move(socket), self->close_linger_));
    }
    self->accept_next();
  });
}

void tcp_listener::close() {
  error_code ignored;
  acceptor_.close(ignored);
}

void tcp_connect(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                 milliseconds close_linger,
                 std::function<void(std::shared_ptr<tcp_stream>, const std::string&)> done) {
  auto socket = std::make_shared<asio::ip::tcp::socket>(io);
  socket->async_connect(endpoint, [socket, close_linger, done = std::move(done)](error_code ec) {
    if (ec) {
      done(nullptr, "connect failed: " + ec.message());
    } else {
      done(std::make_shared<tcp_stream>(std::move(*socket), close_linger), "");
    }
  });
}

}  // namespace p2psip::link
