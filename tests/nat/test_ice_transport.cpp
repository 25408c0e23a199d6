// ice_transport on real libnice, DTLS and TLS link transports over loopback:
// an Attach makes a DTLS-UDP-SR link, and two Attaches that cross (each node
// offering to the other before either saw the other's offer) still end in
// one link rather than in two negotiations that each side half-abandons.
// An ice_path tells when what it sends stopped being answered.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "link/test_pki.hpp"
#include "nat/ice_transport.hpp"

using namespace p2psip;
using namespace std::chrono_literals;
using wire::node_id;

namespace {

constexpr auto wait_limit = 20s;
const auto loopback = boost::asio::ip::address_v4::loopback();

struct world {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  nat::glib_loop_thread loop{"ice-transport-test"};
  link::test::ca_overlay overlay;

  template <class Done>
  bool run_until(Done done, std::chrono::steady_clock::duration limit = wait_limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
    return done();
  }
};

link::link_config test_link_config() {
  link::link_config config;
  config.keepalive_interval = 60s;
  return config;
}

// A node's credentials, TLS and DTLS contexts, link transport and ICE.
struct node {
  node(world& w, const node_id& self)
      : id(self),
        credentials(link::test::make_credentials(w.overlay.ca, self)),
        tls(credentials, w.overlay.trust.authenticator, config, nullptr),
        dtls(credentials, w.overlay.trust.authenticator, config, nullptr,
             link::tls_transport::datagram),
        links(w.io, tls, self, config) {
    links.listen({loopback, 0});
    links.set_datagram_context(dtls);
    nat::ice_transport_config c;
    c.self = self;
    c.local_addresses = {loopback};
    ice = std::make_unique<nat::ice_transport>(w.io, w.loop, links, std::move(c));
  }

  // Offers an Attach; its id and body once gathered.
  void offer() {
    ice->offer_attach([this](overlay::attach_offer_id id, wire::attach_req_ans body) {
      offer_id = id;
      offer_body = std::move(body);
    });
  }
  void answer(const node& from) {
    ice->answer_attach(from.id, *from.offer_body,
                       [this](wire::attach_req_ans body) { answer_body = std::move(body); });
  }

  node_id id;
  link::link_config config = test_link_config();
  link::tls_credentials credentials;
  link::tls_context tls;
  link::tls_context dtls;
  runtime::link_transport links;
  std::unique_ptr<nat::ice_transport> ice;
  std::optional<overlay::attach_offer_id> offer_id;
  std::optional<wire::attach_req_ans> offer_body;
  std::optional<wire::attach_req_ans> answer_body;
};

bool over_dtls(const node& from, const node& to) {
  const auto protocol = from.links.protocol(to.id);
  return from.links.connected(to.id) && protocol && protocol->starts_with("DTLS");
}
bool linked(const node& a, const node& b) { return over_dtls(a, b) && over_dtls(b, a); }

const node_id low = *node_id::from_hex("11111111111111111111111111111111");
const node_id high = *node_id::from_hex("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");

}  // namespace

TEST_CASE("ice_transport: an Attach makes a DTLS link over a checked pair", "[ice]") {
  world w;
  node a(w, low);
  node b(w, high);
  a.offer();
  REQUIRE(w.run_until([&] { return a.offer_body.has_value(); }));
  REQUIRE_FALSE(a.offer_body->candidates.empty());
  b.answer(a);
  REQUIRE(w.run_until([&] { return b.answer_body.has_value(); }));
  a.ice->open_link(*a.offer_id, b.id, *b.answer_body);
  REQUIRE(w.run_until([&] { return linked(a, b); }));
  CHECK(a.ice->pair_with(b.id).has_value());
  CHECK(a.ice->counters().failures == 0);
  // A second Attach between linked peers is answered without candidates,
  // and the offerer takes that as done, not as a failure.
  b.offer();
  REQUIRE(w.run_until([&] { return b.offer_body.has_value(); }));
  a.answer(b);
  REQUIRE(w.run_until([&] { return a.answer_body.has_value(); }));
  CHECK(a.answer_body->candidates.empty());
  b.ice->open_link(*b.offer_id, a.id, *a.answer_body);
  w.io.run_for(100ms);
  CHECK(b.ice->counters().failures == 0);
  CHECK(b.ice->agents() == 0);
  CHECK(linked(a, b));
}

TEST_CASE("ice_transport: crossed Attaches end in one link", "[ice]") {
  world w;
  node a(w, low);
  node b(w, high);
  // Each offers, each answers the other's offer, then each gets its answer:
  // both see checks with the other under way when the answer comes.
  a.offer();
  b.offer();
  REQUIRE(w.run_until([&] { return a.offer_body && b.offer_body; }));
  a.answer(b);
  b.answer(a);
  REQUIRE(w.run_until([&] { return a.answer_body && b.answer_body; }));
  REQUIRE_FALSE(a.answer_body->candidates.empty());
  REQUIRE_FALSE(b.answer_body->candidates.empty());
  const bool high_first = GENERATE(true, false);
  if (high_first) {
    b.ice->open_link(*b.offer_id, a.id, *a.answer_body);
    a.ice->open_link(*a.offer_id, b.id, *b.answer_body);
  } else {
    a.ice->open_link(*a.offer_id, b.id, *b.answer_body);
    b.ice->open_link(*b.offer_id, a.id, *a.answer_body);
  }
  // One negotiation left on each side: the larger Node-ID's offer.
  CHECK(a.ice->agents() == 1);
  CHECK(b.ice->agents() == 1);
  REQUIRE(w.run_until([&] { return linked(a, b); }));
  CHECK(a.ice->counters().failures == 0);
  CHECK(b.ice->counters().failures == 0);
}

TEST_CASE("ice_path: unanswered since the first of two sends with nothing back", "[ice]") {
  nat::ice_path path;  // no agent: sends go nowhere, which is what a dead relay does
  const std::vector<std::uint8_t> datagram{1, 2, 3};
  CHECK_FALSE(path.unanswered_since());
  const auto before = std::chrono::steady_clock::now();
  path.send(datagram);
  // A lone datagram may be an ACK, which wants no answer.
  CHECK_FALSE(path.unanswered_since());
  path.send(datagram);
  REQUIRE(path.unanswered_since());
  CHECK(*path.unanswered_since() >= before);
  CHECK(*path.unanswered_since() <= std::chrono::steady_clock::now());
  // Anything back (before start(), it waits for the link) means the peer answers.
  path.deliver(datagram);
  CHECK_FALSE(path.unanswered_since());
  path.send(datagram);
  CHECK_FALSE(path.unanswered_since());
}

TEST_CASE("ice_transport: agents gather relayed candidates only where the NAT needs them",
          "[ice]") {
  world w;
  node n(w, low);
  n.ice.reset();
  const nat::transport_address relay_at(boost::asio::ip::make_address("192.0.2.7"), 3478);
  const nat::transport_address stun_at(boost::asio::ip::make_address("192.0.2.8"), 4000);
  std::optional<bool> udp_blocked;
  std::optional<bool> independent;
  nat::ice_transport_config c;
  c.self = low;
  c.local_addresses = {loopback};
  c.stun_server = [&] { return std::optional<nat::transport_address>(stun_at); };
  c.relays = [&] {
    return std::vector<nat::turn_relay>{{relay_at, "u", "p", nat::turn_transport::udp},
                                        {relay_at, "u", "p", nat::turn_transport::tcp}};
  };
  c.udp_blocked = [&] { return udp_blocked; };
  c.mapping_independent = [&] { return independent; };
  n.ice = std::make_unique<nat::ice_transport>(w.io, w.loop, n.links, std::move(c));
  const auto config = [&] { return n.ice->agent_config(nat::ice_role::controlling); };

  SECTION("nothing known: TURN over UDP and TCP, and no STUN server besides") {
    independent = true;  // without a UDP verdict the mapping alone does not decide
    CHECK(config().relays.size() == 2);
    CHECK(config().stun_servers.empty());
  }
  SECTION("UDP open behind a symmetric NAT, or an unknown one: TURN over UDP") {
    udp_blocked = false;
    for (const auto verdict : {std::optional<bool>(false), std::optional<bool>()}) {
      independent = verdict;
      REQUIRE(config().relays.size() == 1);
      CHECK(config().relays.front().transport == nat::turn_transport::udp);
      CHECK(config().stun_servers.empty());
    }
  }
  SECTION("UDP open, endpoint-independent mapping: a STUN server, no relay") {
    udp_blocked = false;
    independent = true;
    CHECK(config().relays.empty());
    REQUIRE(config().stun_servers.size() == 1);
    CHECK(config().stun_servers.front() == stun_at);
  }
  SECTION("UDP blocked: TURN over TCP whatever the mapping") {
    udp_blocked = true;
    independent = true;
    REQUIRE(config().relays.size() == 1);
    CHECK(config().relays.front().transport == nat::turn_transport::tcp);
    CHECK(config().stun_servers.empty());
  }
}
