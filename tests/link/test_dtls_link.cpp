// DTLS-UDP-SR links: DTLS 1.2 with Simple Reliability over simulated
// datagram paths under a manual clock (loss, duplication, reordering,
// silence), and once over real UDP on 127.0.0.1.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <boost/asio/steady_timer.hpp>

#include "link/dtls_link.hpp"
#include "link/udp_datagram_path.hpp"
#include "simulated_datagrams.hpp"
#include "test_loopback.hpp"
#include "test_pki.hpp"

using namespace p2psip::link;
using namespace std::chrono_literals;
using p2psip::wire::node_id;
using test::side;

namespace {
constexpr std::size_t test_mtu = 1200;

node_id id(std::string_view hex) { return *node_id::from_hex(hex); }
const node_id client_id = id("0123456789abcdef0123456789abcdef");
const node_id server_id = id("fedcba9876543210fedcba9876543210");

struct recorder final : overlay_link::observer {
  void on_link_established(overlay_link&) override { established = true; }
  void on_link_message(overlay_link&, std::vector<std::uint8_t> message) override {
    messages.push_back(std::move(message));
  }
  void on_link_responsiveness(overlay_link&, bool responsive) override {
    responsiveness.push_back(responsive);
  }
  void on_link_idle(overlay_link&) override { ++idle; }
  void on_link_closed(overlay_link&, const std::string& reason) override { closed = reason; }

  bool established = false;
  std::vector<std::vector<std::uint8_t>> messages;
  std::vector<bool> responsiveness;
  int idle = 0;
  std::optional<std::string> closed;
};

link_config test_config() {
  link_config config;
  config.keepalive_interval = 60s;
  config.rto.maximum = 4000ms;
  return config;
}

// One node of the CA overlay with its DTLS context; the link comes later.
struct node {
  node(const test::ca_overlay& overlay, const node_id& self, const link_config& config)
      : credentials(test::make_credentials(overlay.ca, self)),
        context(credentials, overlay.trust.authenticator, config, nullptr,
                tls_transport::datagram) {}
  tls_credentials credentials;
  tls_context context;
  recorder events;
  std::unique_ptr<dtls_link> link;
};

std::vector<std::uint8_t> numbered(std::size_t n, std::size_t size = 64) {
  std::vector<std::uint8_t> message(size, static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < sizeof n; ++i) message[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return message;
}

// Steps the clock 1 ms at a time, delivering datagrams and ticking both
// links, until `done` holds or `limit` of simulated time has passed.
template <class Predicate>
bool step_until(test::manual_clock& clock, test::simulated_datagrams& net, dtls_link& a,
                dtls_link& b, Predicate done, link_duration limit) {
  const link_time deadline = clock.now + limit;
  while (!done()) {
    if (clock.now >= deadline) return false;
    clock.now += 1ms;
    net.deliver_due();
    a.tick();
    b.tick();
  }
  return true;
}

// A client and a server joined by a simulated path, under one manual clock.
struct simulated_pair {
  explicit simulated_pair(test::impairments impair = {}, link_config config = test_config(),
                          std::optional<node_id> client_expects = server_id, std::uint32_t seed = 7)
      : config(config),
        net(clock, test_mtu, impair, seed),
        client(overlay, client_id, config),
        server(overlay, server_id, config) {
    client.link =
        std::make_unique<dtls_link>(net.end(side::a), client.context, tls_role::client,
                                    client_expects, config, client.events, clock.source());
    server.link = std::make_unique<dtls_link>(net.end(side::b), server.context, tls_role::server,
                                              std::nullopt, config, server.events, clock.source());
  }

  void start() {
    server.link->start();
    client.link->start();
  }

  // After start().
  template <class Predicate>
  bool run_until(Predicate done, link_duration limit) {
    return step_until(clock, net, *client.link, *server.link, done, limit);
  }
  void advance(link_duration duration) {
    run_until([] { return false; }, duration);
  }

  bool both_up() const { return client.events.established && server.events.established; }

  link_config config;
  std::optional<node_id> client_expects;
  test::manual_clock clock;
  test::ca_overlay overlay;
  test::simulated_datagrams net;
  node client;
  node server;
};
}  // namespace

TEST_CASE("dtls_link: handshake, then messages both ways over memory", "[dtls]") {
  simulated_pair p;
  p.start();
  REQUIRE(p.run_until([&] { return p.both_up(); }, 2s));
  CHECK(p.client.link->peer_node_ids() == std::vector{server_id});
  CHECK(p.server.link->peer_node_ids() == std::vector{client_id});
  CHECK(p.client.link->protocol().starts_with("DTLSv1.2"));

  REQUIRE(p.client.link->send(numbered(1)) == send_result::queued);
  REQUIRE(p.server.link->send(numbered(2)) == send_result::queued);
  REQUIRE(p.run_until(
      [&] { return p.client.events.messages.size() == 1 && p.server.events.messages.size() == 1; },
      1s));
  CHECK(p.server.events.messages[0] == numbered(1));
  CHECK(p.client.events.messages[0] == numbered(2));
  // Each message was ACKed once: nothing is left to resend.
  p.advance(3s);
  CHECK(p.client.link->stats().retransmissions == 0);
  CHECK(p.client.link->stats().smoothed_rtt.has_value());
  CHECK(p.server.events.messages.size() == 1);
  CHECK(p.net.over_mtu == 0);
}

TEST_CASE("dtls_link: an idle link asks for a keepalive, less often on a path that checks liveness",
          "[dtls]") {
  link_config config = test_config();
  config.keepalive_interval = 5s;
  config.checked_path_keepalive_interval = 25s;
  const bool checked = GENERATE(false, true);
  test::impairments impair;
  impair.checks_liveness = checked;
  simulated_pair p(impair, config);
  p.start();
  REQUIRE(p.run_until([&] { return p.both_up(); }, 2s));
  const auto interval = checked ? 25s : 5s;
  p.advance(interval - 1s);
  CHECK(p.client.events.idle == 0);
  p.advance(2s);
  CHECK(p.client.events.idle == 1);
  CHECK(p.server.events.idle == 1);
  // Traffic puts it off again.
  REQUIRE(p.client.link->send(numbered(1)) == send_result::queued);
  REQUIRE(p.run_until([&] { return p.server.events.messages.size() == 1; }, 1s));
  p.advance(interval - 1s);
  CHECK(p.client.events.idle == 1);
  p.advance(2s);
  CHECK(p.client.events.idle == 2);
}

TEST_CASE("dtls_link: under 20% loss, duplication and reordering every message arrives once",
          "[dtls]") {
  link_config config = test_config();
  // Enough tries that 20% loss each way does not exhaust them, and a
  // duplicate filter covering every retransmission of a message.
  config.datagram.max_transmissions = 12;
  config.datagram.duplicate_window = 120s;
  config.datagram.messages_in_flight = 4;
  config.datagram.handshake.limit = 12;
  const std::uint32_t seed = GENERATE(range(1u, 21u));
  INFO("seed " << seed);
  simulated_pair p({.loss = 0.2, .duplication = 0.2, .reordering = 0.3}, config, server_id, seed);
  p.start();
  REQUIRE(p.run_until([&] { return p.both_up(); }, 30s));

  constexpr std::size_t count = 60;
  for (std::size_t n = 0; n < count; ++n) {
    REQUIRE(p.client.link->send(numbered(n)) == send_result::queued);
    REQUIRE(p.server.link->send(numbered(1000 + n)) == send_result::queued);
  }
  const link_time sent_at = p.clock.now;
  REQUIRE(p.run_until(
      [&] {
        return p.server.events.messages.size() >= count && p.client.events.messages.size() >= count;
      },
      120s));
  const auto elapsed = p.clock.now - sent_at;
  // Let late retransmissions and duplicates land, then count again.
  p.advance(20s);
  const auto expect_each_once = [&](const std::vector<std::vector<std::uint8_t>>& got,
                                    std::size_t first) {
    CHECK(got.size() == count);
    std::set<std::vector<std::uint8_t>> distinct(got.begin(), got.end());
    CHECK(distinct.size() == count);
    for (std::size_t n = 0; n < count; ++n) CHECK(distinct.contains(numbered(first + n)));
  };
  expect_each_once(p.server.events.messages, 0);
  expect_each_once(p.client.events.messages, 1000);
  CHECK(elapsed < 60s);
  CHECK_FALSE(p.client.events.closed);
  CHECK_FALSE(p.server.events.closed);
  CHECK(p.client.link->stats().retransmissions > 0);
  CHECK(p.net.over_mtu == 0);
}

TEST_CASE("dtls_link: the handshake survives lost flights", "[dtls]") {
  simulated_pair p;
  // The client's first two flights and the server's first flight are lost
  // once; the driven timer resends them.
  std::set<std::pair<side, std::size_t>> lost;
  p.net.drop = [&](side from, std::size_t index, const datagram_buffer&) {
    if (from == side::a && index < 1) return lost.insert({from, index}).second;
    if (from == side::b && index < 2) return lost.insert({from, index}).second;
    return false;
  };
  p.start();
  REQUIRE(p.run_until([&] { return p.both_up(); }, 10s));
  CHECK(lost.size() == 3);
  CHECK(p.client.link->stats().flight_retransmissions >= 1);
  CHECK(p.server.link->stats().flight_retransmissions >= 1);
  REQUIRE(p.client.link->send(numbered(5)) == send_result::queued);
  REQUIRE(p.run_until([&] { return p.server.events.messages.size() == 1; }, 1s));
}

TEST_CASE("dtls_link: the server resends its last flight until the client's first record",
          "[dtls]") {
  simulated_pair p;
  // The server's last flight (the datagram that starts with its
  // ChangeCipherSpec record, content type 20) is lost once, and so is every
  // resent copy of the client's flights, so only the server's own timer can
  // finish the handshake.
  constexpr std::uint8_t change_cipher_spec = 20;
  bool last_flight_lost = false;
  std::set<datagram_buffer> client_sent;
  p.net.drop = [&](side from, std::size_t, const datagram_buffer& bytes) {
    if (from == side::a) return !client_sent.insert(bytes).second;
    if (bytes[0] == change_cipher_spec && !last_flight_lost) return last_flight_lost = true;
    return false;
  };
  p.start();
  REQUIRE(p.run_until([&] { return p.both_up(); }, 10s));
  CHECK(last_flight_lost);
  CHECK(p.server.link->stats().flight_retransmissions == 1);
  // The client's first record (its keepalive) ended the resending.
  p.advance(30s);
  CHECK(p.server.link->stats().flight_retransmissions == 1);
}

TEST_CASE("dtls_link: a peer with the wrong Node-ID is refused", "[dtls]") {
  simulated_pair p({}, test_config(), id("00000000000000000000000000000001"));
  p.start();
  REQUIRE(p.run_until([&] { return p.client.events.closed && p.server.events.closed; }, 10s));
  CHECK_FALSE(p.client.events.established);
  CHECK_FALSE(p.server.events.established);
  CHECK_THAT(*p.client.events.closed, Catch::Contains("peer authentication failed"));
  // The server heard the client's alert rather than timing out.
  CHECK_THAT(*p.server.events.closed, Catch::Contains("alert"));
}

TEST_CASE("dtls_link: a silent peer is detected after the bounded retransmissions", "[dtls]") {
  simulated_pair p;
  p.start();
  REQUIRE(p.run_until([&] { return p.both_up(); }, 2s));
  p.advance(1s);  // the initial keepalives settle
  const milliseconds rto = p.client.link->stats().rto;
  p.net.blackhole = true;
  const std::size_t sent_before = p.net.sent[0];
  const link_time silent_since = p.clock.now;
  REQUIRE(p.client.link->send(numbered(9)) == send_result::queued);
  CHECK(p.client.link->next_deadline() == silent_since + rto);
  REQUIRE(p.run_until([&] { return p.client.events.closed.has_value(); }, 120s));
  CHECK_THAT(*p.client.events.closed, Catch::Contains("no ACK after 5 transmissions"));
  // §6.6.3.1: sent at 0, RTO, 3, 7 and 15 RTO; given up at 31 RTO.
  CHECK(p.net.sent[0] - sent_before == 5);
  CHECK(p.clock.now - silent_since >= 31 * rto);
  CHECK(p.clock.now - silent_since <= 31 * rto + 10ms);
  CHECK(p.client.events.responsiveness == std::vector{false});
}

TEST_CASE("dtls_link: messages up to max_message_size pass, larger ones are refused", "[dtls]") {
  simulated_pair p;
  p.start();
  REQUIRE(p.run_until([&] { return p.both_up(); }, 2s));
  const std::size_t max = p.client.link->max_message_size();
  CHECK(max ==
        test_mtu - dtls_session::max_record_overhead - p2psip::wire::framed_data_header_size);
  CHECK(p.client.link->path_mtu() == test_mtu);
  CHECK(p.client.link->send(std::vector<std::uint8_t>(max + 1, 7)) ==
        send_result::message_too_large);
  REQUIRE(p.client.link->send(std::vector<std::uint8_t>(max, 7)) == send_result::queued);
  REQUIRE(p.run_until([&] { return p.server.events.messages.size() == 1; }, 1s));
  CHECK(p.server.events.messages[0].size() == max);
  CHECK(p.net.largest <= test_mtu);
  CHECK(p.net.over_mtu == 0);

  SECTION("the configured overlay maximum wins when it is smaller") {
    link_config config = test_config();
    config.max_message_size = 300;
    simulated_pair q({}, config);
    q.start();
    REQUIRE(q.run_until([&] { return q.both_up(); }, 2s));
    CHECK(q.client.link->max_message_size() == 300);
    CHECK(q.client.link->send(std::vector<std::uint8_t>(301, 1)) == send_result::message_too_large);
  }
}

namespace {
// Passes the verdict through, noting how many certificates the peer sent.
struct chain_counter final : peer_authenticator {
  explicit chain_counter(const peer_authenticator& inner) : inner(inner) {}
  authentication_result authenticate(const peer_certificates& peer,
                                     const std::optional<node_id>& expected) const override {
    certificates_seen = peer.chain != nullptr ? sk_X509_num(peer.chain) : 0;
    return inner.authenticate(peer, expected);
  }
  const peer_authenticator& inner;
  mutable int certificates_seen = 0;
};
}  // namespace

TEST_CASE("dtls_link: no datagram exceeds the path MTU, even with a large certificate chain",
          "[dtls]") {
  // 300 is near OpenSSL's floor (256) and below the size of one certificate.
  const std::size_t mtu = GENERATE(300u, 600u, 1200u);
  test::manual_clock clock;
  test::ca_overlay overlay;
  test::simulated_datagrams net(clock, mtu, {.loss = 0.1}, 5);
  link_config config = test_config();
  config.datagram.handshake.limit = 12;
  chain_counter counter(overlay.trust.authenticator);
  const auto client_credentials = test::make_credentials(overlay.ca, client_id);
  const auto server_credentials = test::make_credentials(overlay.ca, server_id);
  tls_context client_context(client_credentials, counter, config, nullptr, tls_transport::datagram);
  tls_context server_context(server_credentials, overlay.trust.authenticator, config, nullptr,
                             tls_transport::datagram);
  // Eight more certificates after the leaf: the authenticator judges the
  // leaf against the overlay's root and ignores the extra ones.
  constexpr int extra_certificates = 8;
  for (int i = 0; i < extra_certificates; ++i) {
    REQUIRE(SSL_CTX_add1_chain_cert(server_context.native(), overlay.rogue.root().native()) == 1);
  }
  std::size_t server_bytes = 0;
  net.drop = [&](side from, std::size_t, const datagram_buffer& bytes) {
    if (from == side::b) server_bytes += bytes.size();
    return false;
  };
  recorder client_events;
  recorder server_events;
  dtls_link client(net.end(side::a), client_context, tls_role::client, server_id, config,
                   client_events, clock.source());
  dtls_link server(net.end(side::b), server_context, tls_role::server, std::nullopt, config,
                   server_events, clock.source());
  server.start();
  client.start();
  REQUIRE(step_until(
      clock, net, client, server,
      [&] { return client_events.established && server_events.established; }, 60s));
  CHECK(counter.certificates_seen == 1 + extra_certificates);
  CHECK(i2d_X509(server_credentials.certificate.native(), nullptr) > 300);
  CHECK(server_bytes > 3 * mtu);
  const std::size_t max = client.max_message_size();
  REQUIRE(client.send(std::vector<std::uint8_t>(max, 3)) == send_result::queued);
  REQUIRE(step_until(
      clock, net, client, server, [&] { return server_events.messages.size() == 1; }, 10s));
  CHECK(net.over_mtu == 0);
  CHECK(net.largest <= mtu);
}

TEST_CASE("dtls_link: refuses a stream context and a path too small for DTLS", "[dtls]") {
  test::manual_clock clock;
  test::ca_overlay overlay;
  const link_config config = test_config();
  const auto credentials = test::make_credentials(overlay.ca, client_id);
  recorder events;
  tls_context stream_context(credentials, overlay.trust.authenticator, config, nullptr);
  test::simulated_datagrams path(clock, test_mtu);
  CHECK_THROWS_AS(dtls_link(path.end(side::a), stream_context, tls_role::client, server_id, config,
                            events, clock.source()),
                  tls_error);
  tls_context datagram_context(credentials, overlay.trust.authenticator, config, nullptr,
                               tls_transport::datagram);
  test::simulated_datagrams tiny_path(clock, 200);
  CHECK_THROWS_AS(dtls_link(tiny_path.end(side::a), datagram_context, tls_role::client, server_id,
                            config, events, clock.source()),
                  tls_error);
}

TEST_CASE("dtls_link: a seeded RTT sets the first RTO", "[dtls]") {
  test::manual_clock clock;
  test::ca_overlay overlay;
  test::simulated_datagrams net(clock, test_mtu);
  node client(overlay, client_id, test_config());
  dtls_link link(net.end(side::a), client.context, tls_role::client, server_id, test_config(),
                 client.events, clock.source(), 40ms);
  // RFC 6298 (2.2) from one 40 ms sample: 40 + 4 * 20 = 120 ms, raised to the 200 ms floor.
  CHECK(link.stats().rto == 200ms);
  CHECK(link.stats().smoothed_rtt == link_duration(40ms));
}

TEST_CASE("dtls_link: end to end over UDP on 127.0.0.1", "[dtls]") {
  namespace asio = boost::asio;
  asio::io_context io;
  test::ca_overlay overlay;
  link_config config = test_config();
  node client(overlay, client_id, config);
  node server(overlay, server_id, config);
  const asio::ip::udp::endpoint any_port(asio::ip::make_address("127.0.0.1"), 0);
  auto client_path = udp_datagram_path::bind(io, any_port);
  auto server_path = udp_datagram_path::bind(io, any_port);
  client_path->connect(server_path->local_endpoint());
  server_path->connect(client_path->local_endpoint());
  server.link =
      std::make_unique<dtls_link>(server_path, server.context, tls_role::server, std::nullopt,
                                  config, server.events, [] { return link_clock::now(); });
  client.link =
      std::make_unique<dtls_link>(client_path, client.context, tls_role::client, server_id, config,
                                  client.events, [] { return link_clock::now(); });
  server.link->start();
  client.link->start();

  asio::steady_timer ticker(io);
  std::function<void()> tick = [&] {
    ticker.expires_after(5ms);
    ticker.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      client.link->tick();
      server.link->tick();
      tick();
    });
  };
  tick();
  REQUIRE(
      test::run_until(io, [&] { return client.events.established && server.events.established; }));
  for (std::size_t n = 0; n < 20; ++n) {
    REQUIRE(client.link->send(numbered(n, 1000)) == send_result::queued);
  }
  REQUIRE(server.link->send(numbered(77)) == send_result::queued);
  REQUIRE(test::run_until(io, [&] {
    return server.events.messages.size() == 20 && client.events.messages.size() == 1;
  }));
  for (std::size_t n = 0; n < 20; ++n) CHECK(server.events.messages[n] == numbered(n, 1000));
  client.link->close("test done");
  REQUIRE(test::run_until(io, [&] { return server.events.closed.has_value(); }));
  CHECK_THAT(*server.events.closed, Catch::Contains("peer closed the DTLS session"));
  ticker.cancel();
}
