// Whole links over real loopback TCP: two connection tables in one process on
// ephemeral ports, and a scripted raw TLS peer for misbehaviour.
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>

#include "link/connection_table.hpp"
#include "link/udp_datagram_path.hpp"
#include "test_loopback.hpp"
#include "test_pki.hpp"
#include "wire/codec.hpp"

using namespace p2psip::link;
using namespace std::chrono_literals;
using p2psip::wire::framed_ack;
using p2psip::wire::framed_data;
using p2psip::wire::framed_message;
using p2psip::link::test::loopback;
using p2psip::link::test::loopback_config;
using p2psip::link::test::run_until;
using p2psip::wire::node_id;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::string_view a_hex = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
constexpr std::string_view b_hex = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
constexpr std::string_view c_hex = "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c";

node_id id(std::string_view hex) { return *node_id::from_hex(hex); }
std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

struct recorder {
  std::vector<node_id> ups;
  std::vector<std::pair<node_id, std::string>> downs;
  std::vector<std::pair<node_id, bool>> responsiveness;
  std::vector<std::pair<node_id, std::vector<std::uint8_t>>> messages;
  std::vector<std::string> log;

  link_callbacks callbacks() {
    return {
        .on_link_up = [this](const node_id& peer) { ups.push_back(peer); },
        .on_link_down = [this](const node_id& peer,
                               const std::string& reason) { downs.emplace_back(peer, reason); },
        .on_link_responsiveness = [this](const node_id& peer,
                                         bool up) { responsiveness.emplace_back(peer, up); },
        .on_message = [this](const node_id& peer,
                             std::vector<std::uint8_t> m) { messages.emplace_back(peer, std::move(m)); },
        .on_keepalive_due = nullptr,
    };
  }
  log_sink sink() {
    return [this](log_level, std::string_view line) { log.emplace_back(line); };
  }
  bool logged(std::string_view text) const {
    return std::any_of(log.begin(), log.end(),
                       [&](const std::string& line) { return line.find(text) != std::string::npos; });
  }
};

// A connection table whose local Node-ID is its certificate's.
struct node {
  node(asio::io_context& io, const tls_credentials& credentials,
       const peer_authenticator& authenticator, const link_config& config = loopback_config(),
       std::function<void(link_callbacks&)> adjust = nullptr)
      : context(credentials, authenticator, config, events.sink()),
        table(io, context, test::node_id_of(credentials), config,
              adjusted(events.callbacks(), adjust)) {}
  static link_callbacks adjusted(link_callbacks callbacks,
                                 const std::function<void(link_callbacks&)>& adjust) {
    if (adjust) adjust(callbacks);
    return callbacks;
  }
  recorder events;
  tls_context context;
  connection_table table;
};

// A TLS client driven by the test: it connects with blocking calls (the
// kernel completes them), reads asynchronously until told to stop, and can
// send any plaintext, valid frames or not.
class raw_peer {
 public:
  raw_peer(asio::io_context& io, const tls_context& context, const tcp::endpoint& server,
           std::optional<node_id> expected)
      : socket_(io), session_(context, tls_role::client, expected), splitter_(1 << 20) {
    socket_.connect(server);
    session_.start();
    flush();
    read_more();
  }
  void stop_reading() { reading_ = false; }
  void send_plaintext(std::span<const std::uint8_t> plaintext) {
    REQUIRE(session_.send(plaintext));
    flush();
  }
  void send_frame(const framed_message& frame) { send_plaintext(*p2psip::wire::to_bytes(frame)); }
  tls_state state() const { return session_.state(); }
  bool transport_closed() const { return transport_closed_; }
  const std::vector<framed_message>& frames() const { return frames_; }

 private:
  void flush() {
    if (session_.has_output()) asio::write(socket_, asio::buffer(session_.take_output()));
  }
  void read_more() {
    socket_.async_read_some(asio::buffer(buffer_), [this](boost::system::error_code ec,
                                                          std::size_t n) {
      if (ec) {
        transport_closed_ = true;
        return;
      }
      plaintext_.clear();
      session_.receive({buffer_.data(), n}, plaintext_);
      flush();
      p2psip::wire::bytes_view input(plaintext_);
      while (!input.empty()) {
        auto frame = splitter_.next(input);
        REQUIRE(frame);
        if (*frame) frames_.push_back(**frame);
      }
      if (reading_) read_more();
    });
  }

  tcp::socket socket_;
  tls_session session_;
  p2psip::wire::frame_splitter splitter_;
  std::array<std::uint8_t, 16384> buffer_{};
  std::vector<std::uint8_t> plaintext_;
  std::vector<framed_message> frames_;
  bool reading_ = true;
  bool transport_closed_ = false;
};

// A raw peer with valid credentials for C, connected and authenticated to `server`.
struct raw_client {
  raw_client(asio::io_context& io, const test::ca_overlay& p, node& server,
             const tcp::endpoint& at)
      : credentials(test::make_credentials(p.ca, id(c_hex))),
        context(credentials, p.trust.authenticator, loopback_config(), nullptr),
        peer(io, context, at, id(a_hex)) {
    REQUIRE(run_until(io, [&] { return server.table.connected(id(c_hex)); }));
    REQUIRE(peer.state() == tls_state::established);
  }
  tls_credentials credentials;
  tls_context context;
  raw_peer peer;
};
}  // namespace

TEST_CASE("links exchange framed messages both ways, with ACKs") {
  asio::io_context io;
  test::ca_overlay p;
  node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
  node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
  const auto at = a.table.listen(loopback);
  CHECK(at.port() != 0);
  b.table.connect(id(a_hex), at);
  REQUIRE(run_until(io, [&] { return !a.events.ups.empty() && !b.events.ups.empty(); }));
  CHECK(a.events.ups == std::vector{id(b_hex)});
  CHECK(b.events.ups == std::vector{id(a_hex)});

  constexpr int count = 50;
  for (int i = 0; i < count; ++i) {
    REQUIRE(b.table.send(id(a_hex), bytes("to a " + std::to_string(i))) == send_result::queued);
    REQUIRE(a.table.send(id(b_hex), bytes("to b " + std::to_string(i))) == send_result::queued);
  }
  REQUIRE(run_until(io, [&] {
    return a.table.stats(id(b_hex))->acks_in == count && b.table.stats(id(a_hex))->acks_in == count;
  }));
  REQUIRE(a.events.messages.size() == count);
  REQUIRE(b.events.messages.size() == count);
  for (int i = 0; i < count; ++i) {
    CHECK(a.events.messages[i] == std::pair{id(b_hex), bytes("to a " + std::to_string(i))});
    CHECK(b.events.messages[i] == std::pair{id(a_hex), bytes("to b " + std::to_string(i))});
  }
  const auto stats = *b.table.stats(id(a_hex));
  CHECK(stats.messages_out == count);
  CHECK(stats.messages_in == count);
  CHECK(stats.acks_out == count);
  CHECK(stats.unknown_acks == 0);
  CHECK(stats.bytes_in > 0);
  CHECK(stats.bytes_out > 0);
  CHECK(stats.smoothed_rtt.has_value());

  CHECK(b.table.send(id(a_hex), std::vector<std::uint8_t>(5001, 1)) ==
        send_result::message_too_large);
  CHECK(b.table.send(id(c_hex), bytes("nobody")) == send_result::not_connected);

  b.table.close(id(a_hex));
  REQUIRE(run_until(io, [&] { return !a.events.downs.empty(); }));
  CHECK(b.events.downs == std::vector{std::pair{id(a_hex), std::string("closed by the overlay")}});
  CHECK(a.events.downs[0].second == "peer closed the TLS session");
  CHECK(a.table.size() == 0);
  CHECK(b.table.size() == 0);
}

TEST_CASE("refused certificates close the link with a logged reason") {
  asio::io_context io;
  test::ca_overlay p;
  SECTION("client certificate from the wrong CA") {
    node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
    node b(io, test::make_credentials(p.rogue, id(b_hex)), p.trust.authenticator);
    b.table.connect(id(a_hex), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] { return !b.events.downs.empty(); }));
    CHECK(a.events.logged(
        "closed: peer authentication failed: untrusted_chain: unable to get local issuer"));
    CHECK(a.events.ups.empty());
    CHECK_THAT(b.events.downs[0].second, Catch::Contains("alert"));
    CHECK(b.table.size() == 0);
  }
  SECTION("server certificate from the wrong CA") {
    node a(io, test::make_credentials(p.rogue, id(a_hex)), p.trust.authenticator);
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
    b.table.connect(id(a_hex), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] { return !b.events.downs.empty(); }));
    CHECK_THAT(b.events.downs[0].second, Catch::Contains("unable to get local issuer certificate"));
    CHECK(b.events.ups.empty());
    CHECK(b.events.logged("closed: peer authentication failed: untrusted_chain"));
  }
  SECTION("Node-ID does not match the expected peer") {
    node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
    b.table.connect(id(c_hex), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] { return !b.events.downs.empty(); }));
    CHECK(b.events.downs[0].first == id(c_hex));
    CHECK_THAT(b.events.downs[0].second,
               Catch::Contains("does not carry the expected Node-ID " + std::string(c_hex)));
    CHECK(b.events.ups.empty());
    CHECK(a.events.ups.empty());
  }
  SECTION("expired certificate") {
    node a(io, test::make_credentials(p.ca, id(a_hex), {-2h, -1min}), p.trust.authenticator);
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
    b.table.connect(id(a_hex), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] { return !b.events.downs.empty(); }));
    CHECK_THAT(b.events.downs[0].second, Catch::Contains("certificate has expired"));
    CHECK(b.events.ups.empty());
  }
  SECTION("self-signed dialler in an overlay that forbids self-signed certificates") {
    node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
    node b(io, test::make_self_signed_credentials(), p.trust.authenticator);
    b.table.connect(id(a_hex), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] { return !b.events.downs.empty(); }));
    CHECK(a.events.logged("closed: peer authentication failed: self_signed_forbidden: overlay " +
                          std::string(test::test_overlay) +
                          " does not permit self-signed certificates"));
    CHECK(a.events.ups.empty());
    // TLS 1.3: the dialler finishes before the listener judges its certificate,
    // so it only learns of the refusal from the alert.
    CHECK_THAT(b.events.downs[0].second, Catch::Contains("alert"));
    CHECK(b.table.size() == 0);
  }
  SECTION("self-signed listener in an overlay that forbids self-signed certificates") {
    const auto self_signed = test::make_self_signed_credentials();
    node a(io, self_signed, p.trust.authenticator);
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
    b.table.connect(test::node_id_of(self_signed), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] { return !b.events.downs.empty(); }));
    CHECK_THAT(b.events.downs[0].second, Catch::Contains("self_signed_forbidden"));
    CHECK(b.events.logged("closed: peer authentication failed: self_signed_forbidden"));
    CHECK(b.events.ups.empty());
    CHECK(a.events.ups.empty());
  }
}

TEST_CASE("garbage before the handshake closes the connection") {
  asio::io_context io;
  test::ca_overlay p;
  node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
  tcp::socket raw(io);
  raw.connect(a.table.listen(loopback));
  asio::write(raw, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  bool eof = false;
  std::array<std::uint8_t, 512> sink{};
  std::function<void(boost::system::error_code, std::size_t)> drain =
      [&](boost::system::error_code ec, std::size_t) {
        if (ec) {
          eof = true;
        } else {
          raw.async_read_some(asio::buffer(sink), drain);
        }
      };
  raw.async_read_some(asio::buffer(sink), drain);
  REQUIRE(run_until(io, [&] { return eof; }));
  CHECK(a.events.logged("closed: TLS error"));
  CHECK(a.events.ups.empty());
}

TEST_CASE("a framed message above the maximum closes the link") {
  asio::io_context io;
  test::ca_overlay p;
  node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
  raw_client c(io, p, a, a.table.listen(loopback));
  // Only the header of a 5001-byte message: refused before the payload exists.
  c.peer.send_plaintext(std::vector<std::uint8_t>{0x80, 0, 0, 0, 0, 0x00, 0x13, 0x89});
  REQUIRE(run_until(io, [&] { return !a.events.downs.empty(); }));
  CHECK(a.events.downs[0].first == id(c_hex));
  CHECK_THAT(a.events.downs[0].second, Catch::Contains("message_too_large"));
  REQUIRE(run_until(io, [&] { return c.peer.transport_closed(); }));
  CHECK(c.peer.state() == tls_state::closed);  // close_notify came first
  CHECK(a.events.messages.empty());
}

TEST_CASE("an ACK for an unknown sequence is counted and the link stays up") {
  asio::io_context io;
  test::ca_overlay p;
  node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
  raw_client c(io, p, a, a.table.listen(loopback));
  c.peer.send_frame(framed_message{framed_ack{12345, 0xffffffff}});
  REQUIRE(run_until(io, [&] { return a.table.stats(id(c_hex))->unknown_acks == 1; }));
  CHECK(a.table.connected(id(c_hex)));
  CHECK(a.table.stats(id(c_hex))->acks_in == 1);

  // Still working both ways: a data frame is delivered and ACKed by §6.6.2.
  c.peer.send_frame(framed_message{framed_data{0, bytes("hello")}});
  c.peer.send_frame(framed_message{framed_data{1, bytes("again")}});
  REQUIRE(run_until(io, [&] { return c.peer.frames().size() == 2; }));
  CHECK(c.peer.frames()[0] == framed_message{framed_ack{0, 0}});
  CHECK(c.peer.frames()[1] == framed_message{framed_ack{1, 0b10}});
  REQUIRE(a.events.messages.size() == 2);
  CHECK(a.events.messages[1].second == bytes("again"));
  CHECK(a.events.downs.empty());
}

TEST_CASE("a peer that stops reading gets back-pressure, then is closed") {
  asio::io_context io;
  test::ca_overlay p;
  link_config config = loopback_config();
  config.failure_timeout = 1500ms;
  config.send_queue_bytes = 64 * 1024;
  const auto a_credentials = test::make_credentials(p.ca, id(a_hex));
  node a(io, a_credentials, p.trust.authenticator, config);
  tls_context dtls(a_credentials, p.trust.authenticator, config, a.events.sink(),
                   tls_transport::datagram);
  raw_client c(io, p, a, a.table.listen(loopback));
  c.peer.stop_reading();

  const std::vector<std::uint8_t> message(4000, 0x42);
  int refused = 0;
  int queued = 0;
  REQUIRE(run_until(
      io,
      [&] {
        for (int i = 0; i < 1000 && a.table.connected(id(c_hex)); ++i) {
          const auto r = a.table.send(id(c_hex), message);
          if (r == send_result::queue_full) {
            ++refused;
            break;
          }
          queued += r == send_result::queued;
        }
        return !a.events.downs.empty();
      },
      20s));
  CHECK(refused > 0);
  CHECK(queued > 0);
  CHECK_THAT(a.events.downs[0].second,
             Catch::Contains("no ACK") || Catch::Contains("peer stopped reading"));
  CHECK(a.table.size() == 0);
}

TEST_CASE("idle links send keepalives that the peer ACKs") {
  asio::io_context io;
  test::ca_overlay p;
  link_config config = loopback_config();
  config.keepalive_interval = 50ms;
  SECTION("empty keepalive frames") {
    const auto a_credentials = test::make_credentials(p.ca, id(a_hex));
  node a(io, a_credentials, p.trust.authenticator, config);
  tls_context dtls(a_credentials, p.trust.authenticator, config, a.events.sink(),
                   tls_transport::datagram);
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator, config);
    b.table.connect(id(a_hex), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] {
      const auto stats = b.table.stats(id(a_hex));
      return stats && stats->keepalives_out >= 2 && stats->acks_in >= 2;
    }));
    CHECK(a.table.stats(id(b_hex))->keepalives_in >= 1);
    CHECK(a.events.messages.empty());  // keepalives are not overlay messages
    CHECK(b.events.downs.empty());
  }
  SECTION("the overlay's ping callback instead") {
    int pings_due = 0;
    const auto a_credentials = test::make_credentials(p.ca, id(a_hex));
  node a(io, a_credentials, p.trust.authenticator, config);
  tls_context dtls(a_credentials, p.trust.authenticator, config, a.events.sink(),
                   tls_transport::datagram);
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator, config,
           [&](link_callbacks& callbacks) {
             callbacks.on_keepalive_due = [&](const node_id& peer) {
               CHECK(peer == id(a_hex));
               ++pings_due;
             };
           });
    b.table.connect(id(a_hex), a.table.listen(loopback));
    REQUIRE(run_until(io, [&] { return pings_due >= 2; }));
    CHECK(b.table.stats(id(a_hex))->keepalives_out == 0);
  }
}

TEST_CASE("a peer that stops ACKing turns unresponsive, recovers, then fails") {
  asio::io_context io;
  test::ca_overlay p;
  link_config config = loopback_config();
  config.keepalive_interval = 50ms;
  config.rto.initial = 100ms;
  config.failure_timeout = 600ms;
  const auto a_credentials = test::make_credentials(p.ca, id(a_hex));
  node a(io, a_credentials, p.trust.authenticator, config);
  tls_context dtls(a_credentials, p.trust.authenticator, config, a.events.sink(),
                   tls_transport::datagram);
  raw_client c(io, p, a, a.table.listen(loopback));
  // The raw peer reads but never ACKs: the keepalive (sequence 0) goes unanswered.
  REQUIRE(run_until(io, [&] { return !a.events.responsiveness.empty(); }));
  CHECK(a.events.responsiveness[0] == std::pair{id(c_hex), false});
  REQUIRE_FALSE(c.peer.frames().empty());
  CHECK(c.peer.frames()[0] == framed_message{framed_data{0, {}}});
  CHECK(a.events.downs.empty());

  c.peer.send_frame(framed_message{framed_ack{0, 0}});
  REQUIRE(run_until(io, [&] { return a.events.responsiveness.size() == 2; }));
  CHECK(a.events.responsiveness[1] == std::pair{id(c_hex), true});

  const auto silent_since = link_clock::now();
  REQUIRE(run_until(io, [&] { return !a.events.downs.empty(); }));
  CHECK(link_clock::now() - silent_since >= 600ms);
  CHECK_THAT(a.events.downs[0].second, Catch::StartsWith("no ACK for"));
}

TEST_CASE("simultaneous dials leave one link that both ends keep") {
  asio::io_context io;
  test::ca_overlay p;
  node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator);
  node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
  const auto a_at = a.table.listen(loopback);
  const auto b_at = b.table.listen(loopback);
  a.table.connect(id(b_hex), b_at);
  b.table.connect(id(a_hex), a_at);
  REQUIRE(run_until(io, [&] { return a.table.connected(id(b_hex)) && b.table.connected(id(a_hex)); }));
  // Let the losing duplicate drain and close (a loaded machine may take a
  // while past the 100 ms drain); whichever end closes it first says why,
  // the other sees its peer close it.
  const auto duplicate_closed = [&] {
    return a.events.logged("duplicate link") || a.events.logged("replaced by a newer link") ||
           b.events.logged("duplicate link") || b.events.logged("replaced by a newer link");
  };
  run_until(io, duplicate_closed, 3s);
  CHECK(a.events.ups == std::vector{id(b_hex)});
  CHECK(b.events.ups == std::vector{id(a_hex)});
  CHECK(a.events.downs.empty());
  CHECK(b.events.downs.empty());
  CHECK(duplicate_closed());
  REQUIRE(a.table.send(id(b_hex), bytes("over the kept link")) == send_result::queued);
  REQUIRE(run_until(io, [&] { return b.events.messages.size() == 1; }));
  CHECK(b.events.messages[0].second == bytes("over the kept link"));
}

// Each end sends at once over the link it saw first, which on one end is
// the link that loses the tie.
TEST_CASE("messages sent at once over crossed dials all arrive") {
  asio::io_context io;
  test::ca_overlay p;
  connection_table* a_table = nullptr;
  connection_table* b_table = nullptr;
  const auto greet_on_up = [](connection_table** table) {
    return [table](link_callbacks& callbacks) {
      callbacks.on_link_up = [table, up = callbacks.on_link_up](const node_id& peer) {
        up(peer);
        (*table)->send(peer, bytes("first"));
      };
    };
  };
  node a(io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator, loopback_config(),
         greet_on_up(&a_table));
  node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator, loopback_config(),
         greet_on_up(&b_table));
  a_table = &a.table;
  b_table = &b.table;
  const auto a_at = a.table.listen(loopback);
  const auto b_at = b.table.listen(loopback);
  a.table.connect(id(b_hex), b_at);
  b.table.connect(id(a_hex), a_at);
  CHECK(run_until(io, [&] { return !a.events.messages.empty() && !b.events.messages.empty(); },
                  2s));
  CHECK(a.events.downs.empty());
  CHECK(b.events.downs.empty());
}

namespace {
// Nodes A and B, both certified by the test CA.
struct certified_pair {
  asio::io_context io;
  test::ca_overlay p;
  node a{io, test::make_credentials(p.ca, id(a_hex)), p.trust.authenticator};
  node b{io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator};
};
}  // namespace

TEST_CASE_METHOD(certified_pair,
                 "a link dialled by address learns the peer's Node-ID from its certificate") {
  const auto a_at = a.table.listen(loopback);
  std::vector<std::optional<node_id>> identified;
  std::size_t ups_when_identified = 99;
  b.table.connect_to_address(a_at, [&](std::optional<node_id> peer, const std::string&) {
    identified.push_back(peer);
    ups_when_identified = b.events.ups.size();
  });
  REQUIRE(run_until(io, [&] { return b.table.connected(id(a_hex)) && a.table.connected(id(b_hex)); }));
  CHECK(identified == std::vector<std::optional<node_id>>{id(a_hex)});
  // Told before on_link_up, so the caller knows whom the link is to.
  CHECK(ups_when_identified == 0);
  CHECK(b.events.ups == std::vector{id(a_hex)});
  REQUIRE(b.table.send(id(a_hex), bytes("by address")) == send_result::queued);
  REQUIRE(run_until(io, [&] { return a.events.messages.size() == 1; }));
  CHECK(a.events.messages[0] == std::pair{id(b_hex), bytes("by address")});

  SECTION("dialling a peer that is linked already identifies it without a second link up") {
    identified.clear();
    b.table.connect_to_address(a_at, [&](std::optional<node_id> peer, const std::string&) {
      identified.push_back(peer);
    });
    REQUIRE(run_until(io, [&] { return !identified.empty(); }));
    run_until(io, [] { return false; }, 300ms);
    CHECK(identified == std::vector<std::optional<node_id>>{id(a_hex)});
    CHECK(b.events.ups == std::vector{id(a_hex)});
    CHECK(b.events.downs.empty());
    CHECK(b.table.connected(id(a_hex)));
  }
}

TEST_CASE("a link dialled by address still refuses a certificate the trust policy refuses") {
  asio::io_context io;
  test::ca_overlay p;
  std::vector<std::pair<std::optional<node_id>, std::string>> identified;
  auto remember = [&](std::optional<node_id> peer, const std::string& reason) {
    identified.emplace_back(peer, reason);
  };
  SECTION("a listener certified by another CA") {
    node a(io, test::make_credentials(p.rogue, id(a_hex)), p.trust.authenticator);
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
    b.table.connect_to_address(a.table.listen(loopback), remember);
    REQUIRE(run_until(io, [&] { return !identified.empty(); }));
    CHECK_FALSE(identified[0].first.has_value());
    CHECK_THAT(identified[0].second, Catch::Contains("untrusted_chain"));
    CHECK(b.events.ups.empty());
    CHECK(b.table.size() == 0);
  }
  SECTION("nobody listening") {
    node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator);
    tcp::endpoint closed_port;
    {
      tcp::acceptor probe(io, loopback);
      closed_port = probe.local_endpoint();
    }
    b.table.connect_to_address(closed_port, remember);
    REQUIRE(run_until(io, [&] { return !identified.empty(); }));
    CHECK_FALSE(identified[0].first.has_value());
    CHECK_FALSE(identified[0].second.empty());
    CHECK(b.events.ups.empty());
  }
}

// An ICE path whose DTLS handshake never finishes while another link to the
// same peer is up (discovery dialled it meanwhile): the failed attempt is
// no link-down for the peer, whose link stays up and carries messages.
TEST_CASE("a link that never came up does not take down the peer's live link") {
  asio::io_context io;
  test::ca_overlay p;
  auto config = loopback_config();
  config.handshake_timeout = std::chrono::milliseconds(300);
  const auto a_credentials = test::make_credentials(p.ca, id(a_hex));
  node a(io, a_credentials, p.trust.authenticator, config);
  tls_context dtls(a_credentials, p.trust.authenticator, config, a.events.sink(),
                   tls_transport::datagram);
  node b(io, test::make_credentials(p.ca, id(b_hex)), p.trust.authenticator, config);
  a.table.connect(id(b_hex), b.table.listen(loopback));
  REQUIRE(run_until(io, [&] { return a.table.connected(id(b_hex)) && b.table.connected(id(a_hex)); }));

  // A datagram path to a socket that never answers, as a stalled ICE pair.
  const asio::ip::udp::endpoint any_port(loopback.address(), 0);
  auto path = udp_datagram_path::bind(io, any_port);
  asio::ip::udp::socket silent(io, any_port);
  path->connect(silent.local_endpoint());
  a.table.adopt_path(path, dtls, tls_role::client, id(b_hex));
  REQUIRE(run_until(io, [&] { return a.events.logged("DTLS handshake timed out"); }, 5s));
  CHECK(a.events.downs.empty());
  CHECK(a.table.connected(id(b_hex)));
  REQUIRE(a.table.send(id(b_hex), bytes("still linked")) == send_result::queued);
  REQUIRE(run_until(io, [&] { return b.events.messages.size() == 1; }));
  CHECK(b.events.messages[0].second == bytes("still linked"));
}
