// The membership keeper's peer_dialler on the daemon's TLS links: host names
// are resolved here, on the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include "bootstrap/peer_dialler.hpp"
#include "runtime/link_transport.hpp"

namespace p2psip::bootstrap {

class link_dialler final : public peer_dialler {
 public:
  link_dialler(boost::asio::io_context& io, runtime::link_transport& transport)
      : io_(io), transport_(transport) {}

  void dial_address(const peer_address& where, identified_handler identified) override;
  void dial(const wire::node_id& peer, const boost::asio::ip::tcp::endpoint& where) override {
    transport_.dial(peer, where);
  }
  bool connected(const wire::node_id& peer) const override { return transport_.connected(peer); }
  std::size_t link_count() const override { return transport_.link_count(); }
  std::optional<boost::asio::ip::tcp::endpoint> listen_address(
      const wire::node_id& peer) const override {
    return transport_.listen_address(peer);
  }

 private:
  boost::asio::io_context& io_;
  runtime::link_transport& transport_;
};

}  // namespace p2psip::bootstrap
