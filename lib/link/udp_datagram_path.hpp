// A connected UDP socket as a datagram_path, on Boost.Asio: the peer's
// address is fixed, so the kernel drops datagrams from anyone else. For
// loopback tests and No-ICE paths; ICE paths come from lib/nat.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "link/datagram_path.hpp"

namespace p2psip::link {

class udp_datagram_path final : public datagram_path,
                                public std::enable_shared_from_this<udp_datagram_path> {
 public:
  // Binds `local` (port 0: ephemeral) and connects to `remote`. Throws
  // boost::system::system_error when either fails.
  static std::shared_ptr<udp_datagram_path> open(boost::asio::io_context& io,
                                                 const boost::asio::ip::udp::endpoint& local,
                                                 const boost::asio::ip::udp::endpoint& remote,
                                                 std::size_t mtu = safe_udp_payload);
  // Binds only, so the port is known before the peer's is: connect() follows.
  static std::shared_ptr<udp_datagram_path> bind(boost::asio::io_context& io,
                                                 const boost::asio::ip::udp::endpoint& local,
                                                 std::size_t mtu = safe_udp_payload);
  void connect(const boost::asio::ip::udp::endpoint& remote);
  boost::asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }

  void start(datagram_handler& handler) override;
  void send(datagram_buffer datagram) override;
  std::size_t mtu() const override { return mtu_; }
  void close() override;

  // Public for make_shared; use open() or bind().
  udp_datagram_path(boost::asio::io_context& io, const boost::asio::ip::udp::endpoint& local,
                    std::size_t mtu);

 private:
  void receive_next();

  boost::asio::ip::udp::socket socket_;
  std::size_t mtu_;
  datagram_handler* handler_ = nullptr;
};

}  // namespace p2psip::link
