#include "nat/stream_connection.hpp"

#include <boost/asio/write.hpp>

namespace p2psip::nat {
namespace {

// A client that lets this much pile up is not reading: later messages drop.
constexpr std::size_t max_queued_bytes = 1 << 20;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

boost::asio::ip::tcp::socket& socket_of(boost::asio::ip::tcp::socket& s) { return s; }
boost::asio::ip::tcp::socket& socket_of(tls_stream& s) { return s.next_layer(); }

}  // namespace

template <class Stream>
stream_connection<Stream>::stream_connection(Stream stream, stream_handlers handlers)
    : stream_(std::move(stream)),
      handlers_(std::move(handlers)),
      handshake_timer_(stream_.get_executor()) {}

template <class Stream>
void stream_connection<Stream>::start(std::chrono::seconds handshake_timeout) {
  if constexpr (is_tls<Stream>) {
    handshake_timer_.expires_after(handshake_timeout);
    handshake_timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->fail();
    });
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](boost::system::error_code ec) {
                              self->handshake_timer_.cancel();
                              if (ec) return self->fail();
                              self->read_more();
                            });
  } else {
    (void)handshake_timeout;
    read_more();
  }
}

template <class Stream>
void stream_connection<Stream>::read_more() {
  if (closed_) return;
  stream_.async_read_some(
      boost::asio::buffer(buffer_),
      [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) return self->fail();
        self->framer_.append(bytes_view(self->buffer_).first(n));
        for (;;) {
          const auto frame = self->framer_.next();
          if (!frame) {
            self->handlers_.on_malformed();
            return self->fail();
          }
          if (!*frame) break;
          self->handlers_.on_frame(**frame);
          if (self->closed_) return;
        }
        self->read_more();
      });
}

template <class Stream>
void stream_connection<Stream>::send(bytes_view bytes) {
  if (closed_ || queued_bytes_ + bytes.size() > max_queued_bytes) return;
  queue_.emplace_back(bytes.begin(), bytes.end());
  queued_bytes_ += bytes.size();
  if (!writing_) write_more();
}

template <class Stream>
void stream_connection<Stream>::write_more() {
  if (closed_ || queue_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  boost::asio::async_write(stream_, boost::asio::buffer(queue_.front()),
                           [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                             if (self->closed_) return;
                             if (ec) return self->fail();
                             self->queued_bytes_ -= self->queue_.front().size();
                             self->queue_.pop_front();
                             self->write_more();
                           });
}

template <class Stream>
void stream_connection<Stream>::fail() {
  if (closed_) return;
  close();
  handlers_.on_closed();
}

template <class Stream>
void stream_connection<Stream>::close() {
  if (closed_) return;
  closed_ = true;
  handshake_timer_.cancel();
  boost::system::error_code ignored;
  socket_of(stream_).shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_of(stream_).close(ignored);
}

template class stream_connection<boost::asio::ip::tcp::socket>;
template class stream_connection<tls_stream>;

}  // namespace p2psip::nat
