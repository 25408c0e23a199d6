// p2psipd's node channel (usage/sip_channel.hpp) between two overlay nodes
// of a simulated overlay, over real loopback TCP and TLS: open() AppAttaches,
// dials the peer's application TLS listener and yields a loopback endpoint;
// bytes written there reach the peer's "front" (a plain TCP acceptor here)
// and its answer comes back; the stream is reused; a node without a SIP
// channel is unreachable (AppAttach Not_Found). In an ICE overlay the same
// happens over ICE streams (PseudoTCP on real libnice, loopback) with the
// AppAttach carrying ICE descriptions, and no TCP listener is opened.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "../link/test_pki.hpp"
#include "../overlay/sim_test_util.hpp"
#include "nat/glib_loop_thread.hpp"
#include "usage/sip_channel.hpp"

using namespace p2psip;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One daemon's TLS side: self-signed credentials whose Node-ID the
// simulated node takes, so the TLS peer check and the overlay agree.
struct tls_side {
  link::tls_credentials credentials = link::test::make_self_signed_credentials();
  link::test::overlay_trust trust{link::test::self_signed_policy()};
  link::tls_context tls{credentials, trust.authenticator, link::link_config{},
                        [](link::log_level, std::string_view) {}};
  wire::node_id id() const { return link::test::node_id_of(credentials); }
};

struct fixture {
  asio::io_context io;
  nat::glib_loop_thread loop{"sip-channel-test"};
  overlay::sim::overlay_world world{overlay::test::fixed_interval_world(5)};
  tls_side a, b;
  usage::sip_channel_config config;
  std::optional<usage::sip_channel> channel_a, channel_b;

  explicit fixture(bool ice = false) {
    world.add_node(a.id());
    world.scheduler().run_for(3s);
    world.add_node(b.id());
    world.scheduler().run_for(30s);
    if (ice) {
      config.open_ice_stream = [this](nat::ice_role role, nat::ice_stream_handlers handlers) {
        nat::ice_agent_config c;
        c.role = role;
        c.local_addresses = {asio::ip::address_v4::loopback()};
        return nat::ice_stream::open(loop, io.get_executor(), c, std::move(handlers));
      };
    }
    channel_a.emplace(io, *world.node(a.id()), a.tls, config);
    channel_b.emplace(io, *world.node(b.id()), b.tls, config);
  }
  ~fixture() {
    channel_a.reset();
    channel_b.reset();
    io.poll();
  }
  // Runs the simulated overlay and the real sockets together.
  template <class Done>
  bool run_until(Done done, std::chrono::milliseconds limit = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      world.scheduler().run_for(20ms);
      io.poll();
      io.restart();
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
};

}  // namespace

TEST_CASE("open() reaches the peer's front through AppAttach and a TLS stream") {
  const bool ice = GENERATE(false, true);
  INFO((ice ? "ICE: TLS over PseudoTCP" : "No-ICE: TLS over TCP"));
  fixture f(ice);
  REQUIRE(f.world.node(f.a.id())->state() == overlay::node_state::joined);
  REQUIRE(f.world.node(f.b.id())->state() == overlay::node_state::joined);

  // B's front: accepts one connection, reads a line, answers it.
  tcp::acceptor front(f.io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  f.channel_b->start({"127.0.0.1", front.local_endpoint().port()});
  f.channel_a->start({"127.0.0.1", 9});  // A's front is not used here
  tcp::socket front_side(f.io);
  asio::streambuf front_in;
  std::string front_got;
  front.async_accept(front_side, [&](const boost::system::error_code& ec) {
    REQUIRE_FALSE(ec);
    asio::async_read_until(front_side, front_in, '\n',
                           [&](const boost::system::error_code& e, std::size_t n) {
                             REQUIRE_FALSE(e);
                             front_got.assign(asio::buffers_begin(front_in.data()),
                                              asio::buffers_begin(front_in.data()) + n);
                             asio::write(front_side, asio::buffer(std::string("SIP/2.0 200 OK\n")));
                           });
  });

  std::optional<std::optional<sip::stream_endpoint>> opened;
  f.channel_a->open(f.b.id(), [&](std::optional<sip::stream_endpoint> e) { opened = e; });
  REQUIRE(f.run_until([&] { return opened.has_value(); }));
  REQUIRE(opened->has_value());
  CHECK((*opened)->host == "127.0.0.1");

  // nta's side: connect to the loopback endpoint, send, read the answer.
  tcp::socket nta(f.io);
  nta.connect(tcp::endpoint(asio::ip::make_address((*opened)->host), (*opened)->port));
  asio::write(nta, asio::buffer(std::string("INVITE sip:alice@p2psip.test SIP/2.0\n")));
  asio::streambuf nta_in;
  std::string nta_got;
  asio::async_read_until(nta, nta_in, '\n', [&](const boost::system::error_code& e, std::size_t n) {
    REQUIRE_FALSE(e);
    nta_got.assign(asio::buffers_begin(nta_in.data()), asio::buffers_begin(nta_in.data()) + n);
  });
  REQUIRE(f.run_until([&] { return !nta_got.empty(); }));
  CHECK(front_got == "INVITE sip:alice@p2psip.test SIP/2.0\n");
  CHECK(nta_got == "SIP/2.0 200 OK\n");
  CHECK(f.channel_a->stats().outbound_opened == 1);
  CHECK(f.channel_b->stats().inbound_accepted == 1);

  SECTION("a second open() to the same node reuses its endpoint without AppAttach") {
    std::optional<std::optional<sip::stream_endpoint>> again;
    f.channel_a->open(f.b.id(), [&](std::optional<sip::stream_endpoint> e) { again = e; });
    REQUIRE(again.has_value());  // answered at once
    REQUIRE(again->has_value());
    CHECK(**again == **opened);
    CHECK(f.channel_a->stats().outbound_opened == 1);
  }
  SECTION("closing nta's connection closes the peer's front connection") {
    nta.close();
    char byte;
    bool front_closed = false;
    front_side.async_read_some(asio::buffer(&byte, 1),
                               [&](const boost::system::error_code& e, std::size_t) {
                                 front_closed = e == asio::error::eof || e;
                               });
    REQUIRE(f.run_until([&] { return front_closed; }));
    REQUIRE(f.run_until([&] { return f.channel_b->stats().streams == 0; }));
  }
}

TEST_CASE("a node that serves no SIP channel is unreachable") {
  fixture f;
  f.channel_a->start({"127.0.0.1", 9});
  // B never started: its node answers AppAttach for 5060 with Not_Found.
  std::optional<std::optional<sip::stream_endpoint>> opened;
  f.channel_a->open(f.b.id(), [&](std::optional<sip::stream_endpoint> e) { opened = e; });
  REQUIRE(f.run_until([&] { return opened.has_value(); }));
  CHECK_FALSE(opened->has_value());
  CHECK(f.channel_a->stats().failures == 1);
}

namespace {

// A front that answers each SIP message (headers only, no body) with a 200
// on the connection it came on, and keeps what it read.
struct answering_front {
  explicit answering_front(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    accept_next();
  }
  sip::stream_endpoint endpoint() const { return {"127.0.0.1", acceptor.local_endpoint().port()}; }

  struct connection {
    explicit connection(const asio::any_io_executor& executor) : socket(executor) {}
    tcp::socket socket;
    asio::streambuf in;
  };
  void accept_next() {
    auto c = std::make_shared<connection>(acceptor.get_executor());
    acceptor.async_accept(c->socket, [this, c](const boost::system::error_code& ec) {
      if (ec) return;
      read_next(c);
      accept_next();
    });
  }
  void read_next(std::shared_ptr<connection> c) {
    asio::async_read_until(
        c->socket, c->in, "\r\n\r\n", [this, c](const boost::system::error_code& e, std::size_t n) {
          if (e) return;
          messages.emplace_back(asio::buffers_begin(c->in.data()),
                                asio::buffers_begin(c->in.data()) + n);
          c->in.consume(n);
          asio::write(c->socket,
                      asio::buffer(std::string("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")));
          read_next(c);
        });
  }
  tcp::acceptor acceptor;
  std::vector<std::string> messages;
};

// nta's side of the loopback endpoint: reads every answer into `answers`.
struct sip_client : std::enable_shared_from_this<sip_client> {
  explicit sip_client(asio::io_context& io) : socket(io) {}
  void read_answers() {
    asio::async_read_until(
        socket, in, "\r\n\r\n",
        [self = shared_from_this()](const boost::system::error_code& e, std::size_t n) {
          if (e) return;
          self->answers.emplace_back(asio::buffers_begin(self->in.data()),
                                     asio::buffers_begin(self->in.data()) + n);
          self->in.consume(n);
          self->read_answers();
        });
  }
  tcp::socket socket;
  asio::streambuf in;
  std::vector<std::string> answers;
};

std::string request(int n) {
  return "OPTIONS sip:b@p2psip.test SIP/2.0\r\nCSeq: " + std::to_string(n) +
         " OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace

// The race p2psipd_sip_crash met: over an ICE stream only keepalive silence
// tells that the peer daemon died, so a request sent just after it died (and
// restarted) went into the dead stream and the call failed.
TEST_CASE("a request sent as the peer dies unseen reaches the peer's new process") {
  fixture f(true);
  auto old_front = std::make_unique<answering_front>(f.io);
  f.channel_b->start(old_front->endpoint());
  f.channel_a->start({"127.0.0.1", 9});
  std::optional<std::optional<sip::stream_endpoint>> opened;
  f.channel_a->open(f.b.id(), [&](std::optional<sip::stream_endpoint> e) { opened = e; });
  REQUIRE(f.run_until([&] { return opened.has_value(); }));
  REQUIRE(opened->has_value());

  // nta's connection; its pending read owns it, so it outlives this scope.
  auto nta = std::make_shared<sip_client>(f.io);
  nta->socket.connect(tcp::endpoint(asio::ip::make_address((*opened)->host), (*opened)->port));
  nta->read_answers();
  const auto& answers = nta->answers;
  asio::write(nta->socket, asio::buffer(request(1)));
  REQUIRE(f.run_until([&] { return answers.size() == 1; }));
  REQUIRE(old_front->messages == std::vector<std::string>{request(1)});
  // Let a round of keepalives confirm the first request.
  f.run_until([] { return false; }, 700ms);

  // B's daemon dies and comes back at once on the same node, with a new
  // front; A is not told. nta sends its next request on the same connection.
  f.channel_b.reset();
  old_front.reset();
  answering_front new_front(f.io);
  f.channel_b.emplace(f.io, *f.world.node(f.b.id()), f.b.tls, f.config);
  f.channel_b->start(new_front.endpoint());
  asio::write(nta->socket, asio::buffer(request(2)));

  REQUIRE(f.run_until([&] { return answers.size() == 2; }, 10000ms));
  CHECK(answers[1] == "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  CHECK(new_front.messages == std::vector<std::string>{request(2)});
  CHECK(f.channel_a->stats().resent == 1);

  SECTION("the connection then carries more requests to the new process") {
    asio::write(nta->socket, asio::buffer(request(3)));
    REQUIRE(f.run_until([&] { return answers.size() == 3; }));
    CHECK(new_front.messages == std::vector<std::string>{request(2), request(3)});
  }
}
