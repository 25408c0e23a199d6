#include "link/udp_datagram_path.hpp"

#include <array>

namespace p2psip::link {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
// Larger than any UDP payload, so the kernel never truncates a datagram.
constexpr std::size_t receive_size = 64 * 1024;
}  // namespace

udp_datagram_path::udp_datagram_path(asio::io_context& io, const asio::ip::udp::endpoint& local,
                                     std::size_t mtu)
    : socket_(io, local), mtu_(mtu) {
  // Sending must never stall the event loop: a full socket buffer drops.
  socket_.non_blocking(true);
}

std::shared_ptr<udp_datagram_path> udp_datagram_path::bind(asio::io_context& io,
                                                           const asio::ip::udp::endpoint& local,
                                                           std::size_t mtu) {
  return std::make_shared<udp_datagram_path>(io, local, mtu);
}

std::shared_ptr<udp_datagram_path> udp_datagram_path::open(asio::io_context& io,
                                                           const asio::ip::udp::endpoint& local,
                                                           const asio::ip::udp::endpoint& remote,
                                                           std::size_t mtu) {
  auto path = bind(io, local, mtu);
  path->connect(remote);
  return path;
}

void udp_datagram_path::connect(const asio::ip::udp::endpoint& remote) { socket_.connect(remote); }

void udp_datagram_path::start(datagram_handler& handler) {
  handler_ = &handler;
  receive_next();
}

void udp_datagram_path::receive_next() {
  socket_.async_wait(asio::ip::udp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (self->handler_ == nullptr) return;
    // One buffer per thread, used only inside this handler.
    thread_local std::array<std::uint8_t, receive_size> buffer;
    std::size_t n = 0;
    if (!ec) n = self->socket_.receive(asio::buffer(buffer), 0, ec);
    // An ICMP port-unreachable from a peer that is not up yet surfaces here;
    // the link's retransmission limit, not one ICMP message, decides failure.
    if (ec == asio::error::connection_refused || ec == asio::error::would_block) {
      self->receive_next();
      return;
    }
    if (ec) {
      std::exchange(self->handler_, nullptr)->on_path_closed(ec.message());
      return;
    }
    self->handler_->on_datagram(wire::bytes_view(buffer.data(), n));
    if (self->handler_ != nullptr) self->receive_next();
  });
}

void udp_datagram_path::send(datagram_buffer datagram) {
  if (handler_ == nullptr) return;
  error_code ignored;
  socket_.send(asio::buffer(datagram), 0, ignored);
}

void udp_datagram_path::close() {
  handler_ = nullptr;
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace p2psip::link
