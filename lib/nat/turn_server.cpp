#include "nat/turn_server.hpp"

#include <sys/socket.h>

#include <stdexcept>

#include <boost/asio/ssl/stream.hpp>

namespace p2psip::nat {
namespace {

using boost::asio::ip::tcp;
using boost::asio::ip::udp;

constexpr std::size_t max_datagram = 65536;
// Every UDP client sends to the one listening socket: a burst (1,000 G.711
// clients, thousands of Refreshes at once) must wait there while the thread is busy.
constexpr int listener_receive_buffer = 4 << 20;
constexpr auto sweep_interval = std::chrono::seconds(1);
constexpr auto handshake_timeout = std::chrono::seconds(10);
// Relay ports tried, from a random start, before an Allocate gets 508.
constexpr unsigned max_port_tries = 256;

transport_address as_transport(const tcp::endpoint& e) { return {e.address(), e.port()}; }

void listen(tcp::acceptor& acceptor, const transport_address& at) {
  const tcp::endpoint endpoint(at.address(), at.port());
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
}

// A larger receive buffer than net.core.rmem_max allows where the process
// may (CAP_NET_ADMIN), else as large as the limit lets it be.
void enlarge_receive_buffer(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
}

}  // namespace

struct turn_server::relay_socket {
  explicit relay_socket(boost::asio::io_context& io) : socket(io), buffer(max_datagram) {}
  udp::socket socket;
  std::vector<std::uint8_t> buffer;
  udp::endpoint sender;
  transport_address relayed;
};

turn_server::turn_server(boost::asio::io_context& io, turn_config config,
                         const turn_listeners& listeners, const turn_clock& clock)
    : io_(io),
      config_(config),
      core_(std::move(config), *this, clock),
      udp_(io),
      tcp_(io),
      tls_(io),
      tls_context_(boost::asio::ssl::context::tls_server),
      sweep_timer_(io),
      udp_buffer_(max_datagram),
      port_choice_(std::random_device{}()) {
  if (config_.shared_secret.empty()) {
    throw std::invalid_argument("turn_server: no shared secret (anyone could mint passwords)");
  }
  if (config_.relay_port_min == 0 || config_.relay_port_min > config_.relay_port_max) {
    throw std::invalid_argument("turn_server: empty relay port range");
  }
  if (listeners.udp) {
    udp_.open(listeners.udp->protocol());
    udp_.bind(*listeners.udp);
    udp_.non_blocking(true);
    enlarge_receive_buffer(udp_.native_handle(), listener_receive_buffer);
    udp_endpoint_ = udp_.local_endpoint();
    core_.peers().add_own_endpoint(*udp_endpoint_);
  }
  if (listeners.tcp) {
    listen(tcp_, *listeners.tcp);
    tcp_endpoint_ = as_transport(tcp_.local_endpoint());
    core_.peers().add_own_endpoint(*tcp_endpoint_);
  }
  if (listeners.tls) {
    tls_context_.set_options(boost::asio::ssl::context::default_workarounds |
                             boost::asio::ssl::context::no_sslv2 |
                             boost::asio::ssl::context::no_sslv3 |
                             boost::asio::ssl::context::no_tlsv1 |
                             boost::asio::ssl::context::no_tlsv1_1);
    const auto& identity = listeners.tls_identity;
    tls_context_.use_certificate_chain(boost::asio::buffer(identity.certificate_chain_pem));
    tls_context_.use_private_key(boost::asio::buffer(identity.private_key_pem),
                                 boost::asio::ssl::context::pem);
    listen(tls_, *listeners.tls);
    tls_endpoint_ = as_transport(tls_.local_endpoint());
    core_.peers().add_own_endpoint(*tls_endpoint_);
  }
}

turn_server::~turn_server() { stop(); }

void turn_server::start() {
  if (udp_.is_open()) receive_udp();
  if (tcp_.is_open()) accept(tcp_, client_transport::tcp);
  if (tls_.is_open()) accept(tls_, client_transport::tls);
  sweep();
}

void turn_server::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  udp_.close(ignored);
  tcp_.close(ignored);
  tls_.close(ignored);
  sweep_timer_.cancel();
  for (auto& [tuple, stream] : streams_) stream->close();
  streams_.clear();
  for (auto& [port, relay] : relays_) relay->socket.close(ignored);
  relays_.clear();
}

void turn_server::receive_udp() {
  udp_.async_receive_from(boost::asio::buffer(udp_buffer_), udp_sender_,
                          [this](boost::system::error_code ec, std::size_t n) {
                            if (ec == boost::asio::error::operation_aborted || stopped_) return;
                            if (!ec) {
                              const five_tuple from{client_transport::udp, udp_sender_,
                                                    *udp_endpoint_};
                              core_.on_client_message(from, bytes_view(udp_buffer_).first(n));
                            }
                            receive_udp();
                          });
}

void turn_server::accept(tcp::acceptor& acceptor, client_transport transport) {
  acceptor.async_accept([this, &acceptor, transport](boost::system::error_code ec,
                                                     tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || stopped_) return;
    if (!ec) {
      boost::system::error_code ignored;
      const auto remote = socket.remote_endpoint(ignored);
      const auto local = socket.local_endpoint(ignored);
      const five_tuple tuple{transport, as_transport(remote), as_transport(local)};
      socket.set_option(tcp::no_delay(true), ignored);
      if (transport == client_transport::tls) {
        adopt(tls_stream(std::move(socket), tls_context_), tuple);
      } else {
        adopt(std::move(socket), tuple);
      }
    }
    accept(acceptor, transport);
  });
}

template <class Stream>
void turn_server::adopt(Stream stream, const five_tuple& tuple) {
  if (streams_.size() >= config_.max_stream_connections) {
    core_.count(refusal::connection_limit);
    return;  // the stream closes as it goes out of scope
  }
  auto connection = std::make_shared<stream_connection<Stream>>(
      std::move(stream),
      stream_handlers{
          [this, tuple](bytes_view frame) { core_.on_client_message(tuple, frame); },
          [this] { core_.count(refusal::malformed); },
          [this, tuple] {
            streams_.erase(tuple);
            core_.on_client_closed(tuple);
          }});
  streams_[tuple] = connection;
  connection->start(handshake_timeout);
}

void turn_server::sweep() {
  core_.expire();
  sweep_timer_.expires_after(sweep_interval);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopped_) sweep();
  });
}

std::optional<transport_address> turn_server::open_relay(relay_port wanted) {
  const unsigned span = config_.relay_port_max - config_.relay_port_min + 1u;
  const unsigned start = port_choice_() % span;
  const unsigned step = wanted == relay_port::even ? 2 : 1;
  for (unsigned i = 0, tries = 0; i < span && tries < max_port_tries; i += step) {
    auto port = static_cast<std::uint16_t>(config_.relay_port_min + (start + i) % span);
    if (wanted == relay_port::even && port % 2 != 0) {
      if (port == config_.relay_port_max) continue;
      ++port;
    }
    if (relays_.count(port)) continue;
    ++tries;
    if (bind_relay(port)) return transport_address(config_.relay_address, port);
  }
  return std::nullopt;
}

bool turn_server::open_relay_at(const transport_address& relayed) {
  return !relays_.count(relayed.port()) && bind_relay(relayed.port());
}

bool turn_server::bind_relay(std::uint16_t port) {
  auto relay = std::make_shared<relay_socket>(io_);
  relay->relayed = transport_address(config_.relay_address, port);
  boost::system::error_code ec;
  relay->socket.open(relay->relayed.protocol(), ec);
  if (!ec) relay->socket.bind(relay->relayed, ec);
  if (!ec) relay->socket.non_blocking(true, ec);
  if (ec) return false;
  relays_[port] = relay;
  receive_from_peer(std::move(relay));
  return true;
}

void turn_server::receive_from_peer(std::shared_ptr<relay_socket> relay) {
  auto& r = *relay;
  r.socket.async_receive_from(
      boost::asio::buffer(r.buffer), r.sender,
      [this, relay = std::move(relay)](boost::system::error_code ec, std::size_t n) mutable {
        if (ec == boost::asio::error::operation_aborted || stopped_ || !relay->socket.is_open()) {
          return;
        }
        if (!ec) core_.on_peer_datagram(relay->relayed, relay->sender, bytes_view(relay->buffer).first(n));
        receive_from_peer(std::move(relay));
      });
}

void turn_server::close_relay(const transport_address& relayed) {
  const auto it = relays_.find(relayed.port());
  if (it == relays_.end()) return;
  boost::system::error_code ignored;
  it->second->socket.close(ignored);
  relays_.erase(it);
}

void turn_server::send_to_peer(const transport_address& relayed, const transport_address& peer,
                               bytes_view data) {
  const auto it = relays_.find(relayed.port());
  if (it == relays_.end()) return;
  // Non-blocking: a datagram the kernel has no room for is lost, as on the wire.
  boost::system::error_code ignored;
  it->second->socket.send_to(boost::asio::buffer(data.data(), data.size()), peer, 0, ignored);
}

void turn_server::send_to_client(const five_tuple& client, bytes_view bytes) {
  if (client.transport == client_transport::udp) {
    boost::system::error_code ignored;
    udp_.send_to(boost::asio::buffer(bytes.data(), bytes.size()), client.client, 0, ignored);
    return;
  }
  if (const auto it = streams_.find(client); it != streams_.end()) it->second->send(bytes);
}

}  // namespace p2psip::nat
