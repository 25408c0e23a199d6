#include "nat/turn_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>

#include <boost/asio/ssl/stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace p2psip::nat {
namespace {

using boost::asio::ip::tcp;

constexpr std::size_t max_datagram = 65536;
// Datagrams per recvmmsg; reading fewer means the socket is drained. A relay
// socket rarely holds more than one; the listener takes every client's burst.
constexpr unsigned receive_batch = 32;
// Ready sockets served per wakeup before the io_context runs other handlers.
constexpr int ready_batch = 64;
// Datagrams to UDP clients per sendmmsg, and the bytes they may take: room
// for the largest message (a Data indication or ChannelData) after a flush.
constexpr unsigned send_batch = 64;
constexpr std::size_t send_queue_bytes = 4 * max_datagram;
// Every UDP client sends to the one listening socket: a burst (1,000 G.711
// clients, thousands of Refreshes at once) must wait there while the thread is busy.
constexpr int listener_receive_buffer = 4 << 20;
constexpr auto sweep_interval = std::chrono::seconds(1);
constexpr auto handshake_timeout = std::chrono::seconds(10);
// Relay ports tried, from a random start, before an Allocate gets 508.
constexpr unsigned max_port_tries = 256;

transport_address as_transport(const tcp::endpoint& e) { return {e.address(), e.port()}; }

boost::system::error_code last_error() { return {errno, boost::system::system_category()}; }

void listen(tcp::acceptor& acceptor, const transport_address& at) {
  const tcp::endpoint endpoint(at.address(), at.port());
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
}

int make_poller() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw boost::system::system_error(last_error(), "epoll_create1");
  return fd;
}

// A larger receive buffer than net.core.rmem_max allows where the process
// may (CAP_NET_ADMIN), else as large as the limit lets it be.
void enlarge_receive_buffer(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
}

// A message header for recvmmsg or sendmmsg: one buffer, the peer's address.
msghdr one_datagram(transport_address& address, std::size_t address_size, iovec& buffer) {
  msghdr header{};
  header.msg_name = address.data();
  header.msg_namelen = static_cast<socklen_t>(address_size);
  header.msg_iov = &buffer;
  header.msg_iovlen = 1;
  return header;
}

}  // namespace

// A bound non-blocking UDP socket outside Asio's reactor: the server polls it
// itself, so no asynchronous operation is started per datagram.
struct turn_server::datagram_socket {
  ~datagram_socket() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  // Opens and binds; false and `ec` when it cannot.
  bool bind(const transport_address& at, boost::system::error_code& ec) {
    fd = ::socket(at.protocol().family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::bind(fd, at.data(), static_cast<socklen_t>(at.size())) == 0) {
      socklen_t size = static_cast<socklen_t>(local.capacity());
      ::getsockname(fd, local.data(), &size);
      local.resize(size);
      return true;
    }
    ec = last_error();
    close();
    return false;
  }

  int fd = -1;
  transport_address local;
};

// recvmmsg into one buffer for the whole server: datagrams are handled
// synchronously, before the next read overwrites them. The buffer is not
// zeroed: only the pages datagrams land in become resident.
struct turn_server::datagram_receiver {
  datagram_receiver()
      : buffer(std::make_unique_for_overwrite<std::uint8_t[]>(receive_batch * max_datagram)) {
    for (unsigned i = 0; i < receive_batch; ++i) {
      vectors[i] = {buffer.get() + i * max_datagram, max_datagram};
      headers[i].msg_hdr = one_datagram(senders[i], senders[i].capacity(), vectors[i]);
    }
  }
  // The datagrams read (0 when none waits), or -1 and errno.
  int receive(int fd) {
    // A read shortens the address lengths of the headers it filled; the
    // rest of the headers stay as they are.
    for (unsigned i = 0; i < filled; ++i) {
      headers[i].msg_hdr.msg_namelen = static_cast<socklen_t>(senders[i].capacity());
    }
    const int n = ::recvmmsg(fd, headers.data(), receive_batch, MSG_DONTWAIT, nullptr);
    filled = n > 0 ? static_cast<unsigned>(n) : 0;
    for (unsigned i = 0; i < filled; ++i) senders[i].resize(headers[i].msg_hdr.msg_namelen);
    return n;
  }
  bytes_view datagram(int i) const {
    return {buffer.get() + i * max_datagram, headers[i].msg_len};
  }

  std::unique_ptr<std::uint8_t[]> buffer;
  unsigned filled = 0;  // headers the last read filled
  std::array<iovec, receive_batch> vectors{};
  std::array<mmsghdr, receive_batch> headers{};
  std::array<transport_address, receive_batch> senders;
};

// Datagrams to UDP clients, copied here while a wakeup is served and sent
// together with sendmmsg, in order.
struct turn_server::client_send_queue {
  client_send_queue() { bytes.reserve(send_queue_bytes); }
  bool fits(std::size_t size) const {
    return count < send_batch && bytes.size() + size <= send_queue_bytes;
  }
  void add(const transport_address& to, bytes_view data) {
    destinations[count] = to;
    vectors[count].iov_len = data.size();
    offsets[count] = bytes.size();
    bytes.insert(bytes.end(), data.begin(), data.end());
    ++count;
  }
  // Non-blocking, like every send here: a datagram the kernel has no room
  // for is lost, as on the wire, and the rest still go.
  void flush(int fd) {
    for (unsigned i = 0; i < count; ++i) {
      vectors[i].iov_base = bytes.data() + offsets[i];
      headers[i].msg_hdr = one_datagram(destinations[i], destinations[i].size(), vectors[i]);
    }
    for (unsigned sent = 0; sent < count;) {
      const int n = ::sendmmsg(fd, headers.data() + sent, count - sent, MSG_DONTWAIT);
      sent += n > 0 ? static_cast<unsigned>(n) : 1;  // skips the one refused
    }
    count = 0;
    bytes.clear();
  }

  std::vector<std::uint8_t> bytes;
  std::array<std::size_t, send_batch> offsets{};
  std::array<iovec, send_batch> vectors{};
  std::array<mmsghdr, send_batch> headers{};
  std::array<transport_address, send_batch> destinations;
  unsigned count = 0;
};

turn_server::turn_server(boost::asio::io_context& io, turn_config config,
                         const turn_listeners& listeners, const turn_clock& clock)
    : config_(config),
      core_(std::move(config), *this, clock),
      poller_(io, make_poller()),
      tcp_(io),
      tls_(io),
      tls_context_(boost::asio::ssl::context::tls_server),
      sweep_timer_(io),
      receiver_(std::make_unique<datagram_receiver>()),
      to_clients_(std::make_unique<client_send_queue>()),
      port_choice_(std::random_device{}()) {
  if (config_.shared_secret.empty()) {
    throw std::invalid_argument("turn_server: no shared secret (anyone could mint passwords)");
  }
  if (config_.relay_port_min == 0 || config_.relay_port_min > config_.relay_port_max) {
    throw std::invalid_argument("turn_server: empty relay port range");
  }
  relays_.resize(config_.relay_port_max - config_.relay_port_min + 1u);
  if (listeners.udp) {
    udp_ = std::make_unique<datagram_socket>();
    boost::system::error_code ec;
    if (!udp_->bind(*listeners.udp, ec)) throw boost::system::system_error(ec, "bind (UDP)");
    enlarge_receive_buffer(udp_->fd, listener_receive_buffer);
    if (!watch(*udp_)) throw boost::system::system_error(last_error(), "epoll_ctl (UDP)");
    udp_endpoint_ = udp_->local;
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

bool turn_server::use_certificate_chain(const std::string& chain_pem) {
  if (!tls_endpoint_) return false;
  // OpenSSL copies the context's certificate into each SSL at accept, so
  // streams already up keep theirs. A failed load leaves the context's
  // chain half-replaced, so the new chain is checked against the key first.
  boost::system::error_code error;
  boost::asio::ssl::context check(boost::asio::ssl::context::tls_server);
  check.use_certificate_chain(boost::asio::buffer(chain_pem), error);
  if (error) return false;
  if (::X509_check_private_key(::SSL_CTX_get0_certificate(check.native_handle()),
                               ::SSL_CTX_get0_privatekey(tls_context_.native_handle())) != 1) {
    return false;
  }
  tls_context_.use_certificate_chain(boost::asio::buffer(chain_pem), error);
  return !error;
}

void turn_server::start() {
  wait_for_datagrams();  // relay sockets, and the UDP listener when there is one
  if (tcp_.is_open()) accept(tcp_, client_transport::tcp);
  if (tls_.is_open()) accept(tls_, client_transport::tls);
  sweep();
}

void turn_server::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  poller_.close(ignored);
  if (udp_) udp_->close();
  tcp_.close(ignored);
  tls_.close(ignored);
  sweep_timer_.cancel();
  for (auto& [tuple, stream] : streams_) stream->close();
  streams_.clear();
  for (auto& relay : relays_) relay.reset();
}

bool turn_server::watch(datagram_socket& socket) {
  epoll_event interest{};
  interest.events = EPOLLIN | EPOLLET;
  interest.data.ptr = &socket;
  return ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, socket.fd, &interest) == 0;
}

void turn_server::wait_for_datagrams() {
  poller_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](boost::system::error_code ec) {
                       if (ec || stopped_) return;
                       serve_ready_sockets();
                       wait_for_datagrams();
                     });
}

void turn_server::serve_ready_sockets() {
  std::array<epoll_event, ready_batch> ready;
  const int n = ::epoll_wait(poller_.native_handle(), ready.data(), ready_batch, 0);
  serving_ = true;
  for (int i = 0; i < n; ++i) drain(*static_cast<datagram_socket*>(ready[i].data.ptr));
  if (to_clients_->count > 0) to_clients_->flush(udp_->fd);
  serving_ = false;
  closed_relays_.clear();
}

// Edge-triggered: every datagram that arrives after a read reports the
// socket again, so reading until a short batch is enough.
void turn_server::drain(datagram_socket& socket) {
  for (bool retried = false; socket.fd >= 0;) {
    const int n = receiver_->receive(socket.fd);
    if (n < 0) {
      // One read reports (and clears) a pending error; datagrams may wait behind it.
      if (errno == EAGAIN || errno == EWOULDBLOCK || retried) return;
      retried = true;
      continue;
    }
    for (int i = 0; i < n; ++i) {
      if (&socket == udp_.get()) {
        const five_tuple from{client_transport::udp, receiver_->senders[i], socket.local};
        core_.on_client_message(from, receiver_->datagram(i));
      } else {
        core_.on_peer_datagram(socket.local, receiver_->senders[i], receiver_->datagram(i));
      }
    }
    if (n < static_cast<int>(receive_batch)) return;
  }
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
    if (*relay_slot(port)) continue;
    ++tries;
    if (bind_relay(port)) return transport_address(config_.relay_address, port);
  }
  return std::nullopt;
}

bool turn_server::open_relay_at(const transport_address& relayed) {
  const auto* slot = relay_slot(relayed.port());
  return slot && !*slot && bind_relay(relayed.port());
}

std::unique_ptr<turn_server::datagram_socket>* turn_server::relay_slot(std::uint16_t port) {
  if (port < config_.relay_port_min || port > config_.relay_port_max) return nullptr;
  return &relays_[port - config_.relay_port_min];
}

bool turn_server::bind_relay(std::uint16_t port) {
  auto relay = std::make_unique<datagram_socket>();
  boost::system::error_code ec;
  if (!relay->bind(transport_address(config_.relay_address, port), ec) || !watch(*relay)) {
    return false;
  }
  *relay_slot(port) = std::move(relay);
  return true;
}

void turn_server::close_relay(const transport_address& relayed) {
  auto* slot = relay_slot(relayed.port());
  if (!slot || !*slot) return;
  // Out of the poll set before closing: a copy of the descriptor elsewhere
  // (a forked child) would keep it there, reporting a freed socket.
  ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_DEL, (*slot)->fd, nullptr);
  (*slot)->close();
  if (serving_) closed_relays_.push_back(std::move(*slot));
  slot->reset();
}

void turn_server::send_to_peer(const transport_address& relayed, const transport_address& peer,
                               bytes_view data) {
  const auto* slot = relay_slot(relayed.port());
  if (!slot || !*slot) return;
  // Non-blocking: a datagram the kernel has no room for is lost, as on the wire.
  ::sendto((*slot)->fd, data.data(), data.size(), MSG_DONTWAIT, peer.data(),
           static_cast<socklen_t>(peer.size()));
}

void turn_server::send_to_client(const five_tuple& client, bytes_view bytes) {
  if (client.transport == client_transport::udp) {
    if (!serving_) {
      ::sendto(udp_->fd, bytes.data(), bytes.size(), MSG_DONTWAIT, client.client.data(),
               static_cast<socklen_t>(client.client.size()));
      return;
    }
    if (!to_clients_->fits(bytes.size())) to_clients_->flush(udp_->fd);
    to_clients_->add(client.client, bytes);
    return;
  }
  if (const auto it = streams_.find(client); it != streams_.end()) it->second->send(bytes);
}

}  // namespace p2psip::nat
