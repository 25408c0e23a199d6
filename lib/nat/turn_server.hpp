// The STUN/TURN server on Boost.Asio: turn_core behind real sockets. It
// listens on UDP, TCP and TLS (each optional), owns one UDP relay socket per
// allocation from the configured port range, answers Binding on its ports,
// and expires what is due every second. Everything runs on the io_context's
// thread, callbacks included; call it only from there.
// The UDP sockets (listener and relays) are the hot path: they sit in one
// edge-triggered epoll set of the server's own, which Asio watches as a
// single descriptor; each wakeup drains every ready socket with recvmmsg
// into one shared buffer and sends what goes to UDP clients with sendmmsg.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "nat/relay_io.hpp"
#include "nat/stream_connection.hpp"
#include "nat/turn_core.hpp"

namespace p2psip::nat {

// The server's certificate chain and key, PEM (the node's own, in the daemon).
struct turn_tls_identity {
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

// Where to listen; port 0 picks an ephemeral port. Those left empty are off.
struct turn_listeners {
  std::optional<transport_address> udp;
  std::optional<transport_address> tcp;
  std::optional<transport_address> tls;
  turn_tls_identity tls_identity;  // needed with `tls`
};

class turn_server final : private relay_io {
 public:
  // Binds every listener. Throws std::invalid_argument for an empty shared
  // secret or an empty relay port range, and boost::system::system_error
  // when a listener cannot be bound or the TLS identity is unusable:
  // configuration errors only.
  turn_server(boost::asio::io_context& io, turn_config config, const turn_listeners& listeners,
              const turn_clock& clock = default_turn_clock());
  ~turn_server() override;
  turn_server(const turn_server&) = delete;
  turn_server& operator=(const turn_server&) = delete;

  void start();
  // Closes every socket and connection; the allocations end with them.
  void stop();

  std::optional<transport_address> udp_endpoint() const { return udp_endpoint_; }
  std::optional<transport_address> tcp_endpoint() const { return tcp_endpoint_; }
  std::optional<transport_address> tls_endpoint() const { return tls_endpoint_; }
  // Serves `chain_pem` (for the same key) to TLS clients accepted from now
  // on; connections already up keep the chain they were given. False when
  // the chain does not parse or does not match the key; the old one stays.
  bool use_certificate_chain(const std::string& chain_pem);

  std::vector<allocation_info> list_allocations() const { return core_.list_allocations(); }
  const turn_counters& counters() const noexcept { return core_.counters(); }
  void on_allocation_change(turn_core::change_handler handler) {
    core_.on_allocation_change(std::move(handler));
  }

 private:
  struct datagram_socket;
  struct datagram_receiver;
  struct client_send_queue;

  // relay_io
  std::optional<transport_address> open_relay(relay_port wanted) override;
  bool open_relay_at(const transport_address& relayed) override;
  void close_relay(const transport_address& relayed) override;
  void send_to_peer(const transport_address& relayed, const transport_address& peer,
                    bytes_view data) override;
  void send_to_client(const five_tuple& client, bytes_view bytes) override;

  bool bind_relay(std::uint16_t port);
  // The slot of a port in the relay range; null outside it.
  std::unique_ptr<datagram_socket>* relay_slot(std::uint16_t port);
  // Adds the socket to the poll set; false when the kernel refuses.
  bool watch(datagram_socket& socket);
  void wait_for_datagrams();
  void serve_ready_sockets();
  void drain(datagram_socket& socket);
  void accept(boost::asio::ip::tcp::acceptor& acceptor, client_transport transport);
  template <class Stream>
  void adopt(Stream stream, const five_tuple& tuple);
  void sweep();

  turn_config config_;
  turn_core core_;
  boost::asio::posix::stream_descriptor poller_;
  std::unique_ptr<datagram_socket> udp_;
  boost::asio::ip::tcp::acceptor tcp_;
  boost::asio::ip::tcp::acceptor tls_;
  boost::asio::ssl::context tls_context_;
  boost::asio::steady_timer sweep_timer_;
  std::optional<transport_address> udp_endpoint_;
  std::optional<transport_address> tcp_endpoint_;
  std::optional<transport_address> tls_endpoint_;
  std::unique_ptr<datagram_receiver> receiver_;
  std::unique_ptr<client_send_queue> to_clients_;
  // Relay sockets by port - relay_port_min: the lookup for every datagram
  // sent to a peer is an index, whatever the number of allocations.
  std::vector<std::unique_ptr<datagram_socket>> relays_;
  // Relay sockets closed while a wakeup is being served: its list of ready
  // sockets may still point at them, so they are freed when it ends.
  std::vector<std::unique_ptr<datagram_socket>> closed_relays_;
  bool serving_ = false;
  std::map<five_tuple, std::shared_ptr<client_stream>> streams_;
  std::minstd_rand port_choice_;
  bool stopped_ = false;
};

}  // namespace p2psip::nat
