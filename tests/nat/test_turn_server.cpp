// turn_server on real loopback sockets, the client side written with this
// layer's own codec: UDP, TCP (with §11.5 padding, split writes, and the
// allocation ending with its connection) and TLS with a self-signed
// certificate made on the spot (running_turn_server.hpp), renewed while running.
#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "nat/channel_data.hpp"
#include "nat/stun_reply.hpp"
#include "nat/turn_credentials.hpp"
#include "nat/turn_server.hpp"
#include "nat_test_util.hpp"
#include "running_turn_server.hpp"

using namespace p2psip::nat;
using boost::asio::ip::tcp;
using boost::asio::ip::udp;
using p2psip::nat::test::endpoint;
using p2psip::nat::test::running_server;

namespace {

const std::string secret = "server-test-secret";

turn_config test_config() { return test::loopback_turn_config(secret, "server.test", 40000); }

template <class Socket>
void receive_timeout(Socket& socket) {
  timeval tv{2, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// A TURN client on any transport: `send` and `receive` move whole messages.
struct turn_client {
  turn_client(std::function<void(bytes_view)> send_message,
              std::function<std::vector<std::uint8_t>()> receive_message)
      : send(std::move(send_message)), receive(std::move(receive_message)) {}

  std::function<void(bytes_view)> send;
  std::function<std::vector<std::uint8_t>()> receive;
  turn_credentials credentials = mint_turn_credentials(secret, "tester", std::chrono::hours(1),
                                                       default_turn_clock().unix_seconds(), {});
  std::string realm;
  std::string nonce;
  std::uint8_t next_id = 1;
  std::vector<std::vector<std::uint8_t>> answers;

  using attributes = std::function<void(stun_writer&, const transaction_id&)>;

  // A request with a fresh id, signed once the server has sent its nonce.
  std::vector<std::uint8_t> request(std::uint16_t method, const attributes& add) {
    const auto id = test::make_id(next_id++);
    stun_writer w(stun_class::request, method, id);
    add(w, id);
    if (!nonce.empty()) {
      add_string(w, attribute::username, credentials.username);
      add_string(w, attribute::realm, realm);
      add_string(w, attribute::nonce, nonce);
      w.add_message_integrity(long_term_key(credentials.username, realm, credentials.password));
    }
    w.add_fingerprint();
    return w.bytes();
  }

  stun_message call(std::uint16_t method, const attributes& add) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      send(request(method, add));
      answers.push_back(receive());
      auto m = parse_stun(answers.back());
      REQUIRE(m);
      if (m->klass == stun_class::error && m->find(attribute::nonce)) {
        realm = read_string(*m->find(attribute::realm));
        nonce = read_string(*m->find(attribute::nonce));
        continue;
      }
      return *m;
    }
    FAIL("the server kept challenging");
    return {};
  }

  transport_address allocate() {
    const auto m = call(stun_method::allocate, [](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
    });
    REQUIRE(m.klass == stun_class::success);
    return *read_xor_address(*m.find(attribute::xor_relayed_address), m.id);
  }
};

// Reads one STUN message or padded ChannelData frame from a stream.
template <class Stream>
std::vector<std::uint8_t> read_frame(Stream& stream) {
  std::vector<std::uint8_t> frame(4);
  boost::asio::read(stream, boost::asio::buffer(frame));
  const std::size_t length = load_u16(frame.data() + 2);
  const std::size_t rest = looks_like_channel_data(frame) ? padded4(length) : 16 + length;
  frame.resize(4 + rest);
  boost::asio::read(stream, boost::asio::buffer(frame.data() + 4, rest));
  return frame;
}

}  // namespace

TEST_CASE("turn_server over UDP: Binding, Allocate, permissions, Send and Data indications") {
  running_server s(test_config());
  boost::asio::io_context client_io;
  udp::socket client(client_io, udp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  udp::socket peer(client_io, udp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  receive_timeout(client);
  receive_timeout(peer);
  const auto server = *s.server->udp_endpoint();
  turn_client c([&](bytes_view b) { client.send_to(boost::asio::buffer(b.data(), b.size()), server); },
                [&] {
                  std::vector<std::uint8_t> buffer(2048);
                  udp::endpoint from;
                  buffer.resize(client.receive_from(boost::asio::buffer(buffer), from));
                  return buffer;
                });

  const auto bound = c.call(stun_method::binding, [](stun_writer&, const transaction_id&) {});
  CHECK(*read_xor_address(*bound.find(attribute::xor_mapped_address), bound.id) ==
        client.local_endpoint());

  const auto relayed = c.allocate();
  CHECK(relayed.port() >= 40000);
  CHECK(relayed.port() <= 40999);
  const auto permitted = c.call(stun_method::create_permission, [&](stun_writer& w, const transaction_id& id) {
    add_xor_address(w, attribute::xor_peer_address, peer.local_endpoint(), id);
  });
  REQUIRE(permitted.klass == stun_class::success);

  const auto id = test::make_id(100);
  stun_writer send(stun_class::indication, stun_method::send, id);
  add_xor_address(send, attribute::xor_peer_address, peer.local_endpoint(), id);
  send.add(attribute::data, text_bytes("to the peer"));
  c.send(send.bytes());
  std::array<char, 64> got{};
  udp::endpoint from;
  const auto n = peer.receive_from(boost::asio::buffer(got), from);
  CHECK(std::string(got.data(), n) == "to the peer");
  CHECK(from == relayed);

  peer.send_to(boost::asio::buffer(std::string("to the client")), relayed);
  const auto data_bytes = c.receive();
  const auto data = parse_stun(data_bytes);
  REQUIRE(data);
  CHECK(data->method == stun_method::data);
  CHECK(read_string(*data->find(attribute::data)) == "to the client");

  const auto list = s.allocations();
  REQUIRE(list.size() == 1);
  CHECK(list[0].relayed == relayed);
  CHECK(list[0].to_peer.packets == 1);
  CHECK(list[0].from_peer.bytes == 13);
  CHECK(s.saw(allocation_change::created));
}

TEST_CASE("turn_server over TCP: split frames, padded ChannelData, and the allocation ends with the connection") {
  running_server s(test_config());
  boost::asio::io_context client_io;
  tcp::socket stream(client_io);
  stream.connect(tcp::endpoint(s.server->tcp_endpoint()->address(), s.server->tcp_endpoint()->port()));
  receive_timeout(stream);
  udp::socket peer(client_io, udp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  receive_timeout(peer);
  turn_client c([&](bytes_view b) {
                  // Two writes per message: the server must reassemble.
                  boost::asio::write(stream, boost::asio::buffer(b.data(), 3));
                  boost::asio::write(stream, boost::asio::buffer(b.data() + 3, b.size() - 3));
                },
                [&] { return read_frame(stream); });
  const auto relayed = c.allocate();
  const auto bound = c.call(stun_method::channel_bind, [&](stun_writer& w, const transaction_id& id) {
    add_channel_number(w, 0x4001);
    add_xor_address(w, attribute::xor_peer_address, peer.local_endpoint(), id);
  });
  REQUIRE(bound.klass == stun_class::success);

  c.send(encode_channel_data(0x4001, text_bytes("abcde"), true));
  std::array<char, 64> got{};
  udp::endpoint from;
  CHECK(std::string(got.data(), peer.receive_from(boost::asio::buffer(got), from)) == "abcde");
  peer.send_to(boost::asio::buffer(std::string("xyz")), relayed);
  const auto frame = c.receive();
  CHECK(frame.size() == 8);  // 4 + 3, padded to 4
  const auto channel = parse_channel_data(frame);
  REQUIRE(channel);
  CHECK(channel->channel == 0x4001);
  CHECK(std::string(channel->data.begin(), channel->data.end()) == "xyz");

  stream.close();
  CHECK(s.saw(allocation_change::deleted));
  CHECK(s.allocations().empty());
}

namespace {

// A TLS client of `s` that does not check the server's certificate.
struct tls_client {
  boost::asio::io_context io;
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
  tls_stream stream{io, context};
  turn_client turn{[this](bytes_view b) {
                     boost::asio::write(stream, boost::asio::buffer(b.data(), b.size()));
                   },
                   [this] { return read_frame(stream); }};

  explicit tls_client(running_server& s) {
    context.set_verify_mode(boost::asio::ssl::verify_none);
    stream.next_layer().connect(
        tcp::endpoint(s.server->tls_endpoint()->address(), s.server->tls_endpoint()->port()));
    receive_timeout(stream.next_layer());
    stream.handshake(boost::asio::ssl::stream_base::client);
  }

  // The serial number of the certificate the server sent.
  long served_serial() {
    X509* cert = SSL_get1_peer_certificate(stream.native_handle());
    REQUIRE(cert != nullptr);
    const long serial = ASN1_INTEGER_get(X509_get0_serialNumber(cert));
    X509_free(cert);
    return serial;
  }

  bool binds() {
    return turn.call(stun_method::binding, [](stun_writer&, const transaction_id&) {}).klass ==
           stun_class::success;
  }
};

}  // namespace

TEST_CASE("turn_server over TLS: Binding and Allocate") {
  running_server s(test_config());
  tls_client c(s);
  CHECK(c.binds());
  c.turn.allocate();
  REQUIRE(s.allocations().size() == 1);
  CHECK(s.allocations()[0].client.transport == client_transport::tls);
}

TEST_CASE("turn_server takes a renewed certificate for new TLS clients and keeps its streams") {
  const auto identity = test::make_identity();
  running_server s(test_config(), identity);
  tls_client before(s);
  CHECK(before.served_serial() == 1);
  before.turn.allocate();

  const auto renewed = test::reissue(identity, 2);
  CHECK(s.on_server_thread([&] { return s.server->use_certificate_chain(renewed); }));
  tls_client after(s);
  CHECK(after.served_serial() == 2);
  CHECK(before.binds());  // the stream made with the old certificate is up
  CHECK(s.allocations().size() == 1);

  SECTION("refused: another key's certificate, or no certificate at all; the renewed one stays") {
    const auto other_key = test::make_identity();
    CHECK_FALSE(s.on_server_thread(
        [&] { return s.server->use_certificate_chain(other_key.certificate_chain_pem); }));
    CHECK_FALSE(s.on_server_thread([&] { return s.server->use_certificate_chain("not PEM"); }));
    tls_client later(s);
    CHECK(later.served_serial() == 2);
    CHECK(later.binds());
  }
}

TEST_CASE("turn_server refuses streams past its limit, and configurations it cannot honour") {
  turn_config config = test_config();
  config.max_stream_connections = 1;
  running_server s(config);
  boost::asio::io_context client_io;
  const tcp::endpoint at(s.server->tcp_endpoint()->address(), s.server->tcp_endpoint()->port());
  tcp::socket first(client_io);
  first.connect(at);
  receive_timeout(first);
  turn_client c([&](bytes_view b) { boost::asio::write(first, boost::asio::buffer(b.data(), b.size())); },
                [&] { return read_frame(first); });
  CHECK(c.call(stun_method::binding, [](stun_writer&, const transaction_id&) {}).klass ==
        stun_class::success);
  tcp::socket second(client_io);
  second.connect(at);
  receive_timeout(second);
  std::array<std::uint8_t, 4> buffer{};
  boost::system::error_code ec;
  second.read_some(boost::asio::buffer(buffer), ec);
  CHECK(ec == boost::asio::error::eof);
  CHECK(s.refused(refusal::connection_limit) == 1);

  boost::asio::io_context io;
  const transport_address any(boost::asio::ip::address_v4::loopback(), 0);
  turn_config no_secret = test_config();
  no_secret.shared_secret.clear();
  CHECK_THROWS_AS(turn_server(io, no_secret, {any, {}, {}, {}}), std::invalid_argument);
  turn_config no_ports = test_config();
  no_ports.relay_port_min = 50000;
  no_ports.relay_port_max = 49999;
  CHECK_THROWS_AS(turn_server(io, no_ports, {any, {}, {}, {}}), std::invalid_argument);
}

TEST_CASE(
    "turn_server over UDP: a burst of Refreshes with LIFETIME 0 that arrives while the server is "
    "busy releases every allocation") {
  // More than the kernel's default receive buffer holds (256 such
  // datagrams on loopback), few enough for a default limit of 1,024 descriptors.
  constexpr std::size_t clients = 400;
  turn_config config = test_config();
  config.max_allocations = clients;
  config.max_allocations_per_user = clients;
  running_server s(config);
  boost::asio::io_context client_io;
  const auto server = *s.server->udp_endpoint();
  std::vector<std::unique_ptr<udp::socket>> sockets;
  std::vector<std::unique_ptr<turn_client>> allocated;
  for (std::size_t i = 0; i < clients; ++i) {
    auto& socket = *sockets.emplace_back(std::make_unique<udp::socket>(
        client_io, udp::endpoint(boost::asio::ip::address_v4::loopback(), 0)));
    receive_timeout(socket);
    auto& c = *allocated.emplace_back(std::make_unique<turn_client>(
        [&socket, server](bytes_view b) {
          socket.send_to(boost::asio::buffer(b.data(), b.size()), server);
        },
        [&socket] {
          std::vector<std::uint8_t> buffer(2048);
          udp::endpoint from;
          buffer.resize(socket.receive_from(boost::asio::buffer(buffer), from));
          return buffer;
        }));
    c.allocate();
  }
  REQUIRE(s.allocations().size() == clients);

  // The server's thread waits while every Refresh is queued at its socket.
  std::promise<void> resume;
  boost::asio::post(s.io, [done = resume.get_future()]() mutable { done.wait(); });
  for (auto& c : allocated) {
    c->send(c->request(stun_method::refresh, [](stun_writer& w, const transaction_id&) {
      add_u32(w, attribute::lifetime, 0);
    }));
  }
  resume.set_value();

  for (int i = 0; i < 100 && !s.allocations().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(s.allocations().empty());
  std::size_t released = 0;
  for (auto& socket : sockets) {
    // Every answer is there by now, or lost: nothing to wait for.
    socket->non_blocking(true);
    std::array<std::uint8_t, 2048> buffer{};
    udp::endpoint from;
    boost::system::error_code ec;
    const auto n = socket->receive_from(boost::asio::buffer(buffer), from, 0, ec);
    const auto answer = parse_stun(bytes_view(buffer).first(ec ? 0 : n));
    released +=
        answer && answer->method == stun_method::refresh && answer->klass == stun_class::success;
  }
  CHECK(released == clients);
}
