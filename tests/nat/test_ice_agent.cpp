// ice_agent on real libnice, loopback only: two agents meet on a host pair,
// through this project's TURN server with force-relay, fail in bounded time
// when they cannot meet, release their allocation on close, answer
// connectivity checks (STUN Binding) on their sockets, and fail a path whose
// far end stops answering consent checks (RFC 7675).
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "nat/ice_agent.hpp"
#include "nat/ice_stream.hpp"
#include "nat/ice_candidate_codec.hpp"
#include "nat/stun_attributes.hpp"
#include "nat/stun_message.hpp"
#include "nat/stun_port.hpp"
#include "nat/turn_credentials.hpp"
#include "nat_test_util.hpp"
#include "running_turn_server.hpp"

using namespace p2psip::nat;
using namespace std::chrono_literals;
using p2psip::nat::test::running_server;
using boost::asio::ip::udp;

namespace {

const std::string secret = "ice-test-secret";
const auto loopback = boost::asio::ip::address_v4::loopback();
// Generous for a loaded 2-core machine; the checks themselves end far sooner.
constexpr auto wait_limit = 20s;
// RFC 8445 §16.1, which this layer's STUN server role has no use for.
constexpr std::uint16_t priority_attribute = 0x0024;
constexpr std::uint16_t ice_controlling_attribute = 0x802A;

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

ice_agent_config loopback_config(ice_role role) {
  ice_agent_config config;
  config.role = role;
  config.local_addresses = {loopback};
  config.check_timeout = 100ms;
  config.check_retransmissions = 3;
  config.failure_grace = 500ms;
  config.connect_limit = 10s;
  return config;
}

// The io_context the handlers run on, and the loop thread libnice runs on
// (declared after it: it stops first, once the agents' closes are done).
struct ice_world {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  glib_loop_thread loop{"ice-test"};

  template <class Done>
  bool run_until(Done done, std::chrono::steady_clock::duration limit = wait_limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);
    return done();
  }
};

// One agent and what its handlers reported.
struct peer {
  std::optional<ice_description> local;
  std::optional<ice_selected_pair> pair;
  std::optional<ice_failure> failure;
  std::vector<std::vector<std::uint8_t>> received;
  std::unique_ptr<ice_agent> agent;

  peer(ice_world& world, ice_agent_config config) {
    agent = std::make_unique<ice_agent>(
        world.loop, world.io.get_executor(), std::move(config),
        ice_agent_handlers{
            [this](const ice_description& d) { local = d; },
            [this](const ice_selected_pair& p) { pair = p; },
            [this](ice_failure why) { failure = why; },
            [this](std::span<const std::uint8_t> d) { received.emplace_back(d.begin(), d.end()); },
            {},
        });
    agent->gather();
  }
};

// Each side's description travels as the Attach body RELOAD would carry.
void exchange(peer& offerer, peer& answerer) {
  const auto offer =
      from_attach_body(to_attach_body(*offerer.local, ice_role::controlling), ice_role::controlled);
  const auto answer = from_attach_body(to_attach_body(*answerer.local, ice_role::controlled),
                                       ice_role::controlling);
  REQUIRE(offer);
  REQUIRE(answer);
  answerer.agent->set_remote(*offer);
  offerer.agent->set_remote(*answer);
}

void gather_both(ice_world& world, peer& a, peer& b) {
  const auto finished = [](const peer& p) { return p.local || p.failure; };
  world.run_until([&] { return finished(a) && finished(b); });
  INFO("failures: " << (a.failure ? to_string(*a.failure) : "none") << ", "
                    << (b.failure ? to_string(*b.failure) : "none"));
  REQUIRE(a.local);
  REQUIRE(b.local);
}

// Datagrams both ways on the selected pair.
void check_datagrams(ice_world& world, peer& a, peer& b) {
  a.agent->send(bytes_of("from the controlling side"));
  b.agent->send(bytes_of("from the controlled side"));
  REQUIRE(world.run_until([&] { return !a.received.empty() && !b.received.empty(); }));
  CHECK(b.received.front() == bytes_of("from the controlling side"));
  CHECK(a.received.front() == bytes_of("from the controlled side"));
}

// A peer whose only candidate is a port nobody listens on.
ice_description silent_peer() {
  return {{"ufrg", "a-password-of-22-chars"},
          {{{loopback, 9}, ice_candidate_type::host, 2130706431, "1", {}}}};
}

turn_config relay_config() { return test::loopback_turn_config(secret, "ice.test", 41000); }

turn_relay relay_of(running_server& server, turn_transport transport = turn_transport::udp) {
  const auto credentials = mint_turn_credentials(secret, "ice-test", std::chrono::hours(1),
                                                 default_turn_clock().unix_seconds(), {});
  const auto listener = transport == turn_transport::udp ? server.server->udp_endpoint()
                                                         : server.server->tcp_endpoint();
  return {*listener, credentials.username, credentials.password, transport};
}

// A blocking UDP socket on loopback for single STUN transactions.
struct stun_client {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket socket{io, {loopback, 0}};

  stun_client() {
    const timeval limit{2, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }

  // The answer, or nothing after two seconds.
  std::vector<std::uint8_t> call(const std::vector<std::uint8_t>& request,
                                 const transport_address& to) {
    socket.send_to(boost::asio::buffer(request), to);
    std::vector<std::uint8_t> answer(1500);
    boost::asio::ip::udp::endpoint from;
    boost::system::error_code failed;
    answer.resize(socket.receive_from(boost::asio::buffer(answer), from, 0, failed));
    if (failed) answer.clear();
    return answer;
  }
};

}  // namespace

TEST_CASE("two agents on loopback select a host pair and exchange datagrams") {
  ice_world world;
  peer a(world, loopback_config(ice_role::controlling));
  peer b(world, loopback_config(ice_role::controlled));
  gather_both(world, a, b);
  REQUIRE(a.local->candidates.size() == 1);
  CHECK(a.local->candidates[0].type == ice_candidate_type::host);
  CHECK(a.local->candidates[0].address.address() == loopback);
  CHECK(a.local->credentials.ufrag.size() >= 4);
  CHECK(a.local->credentials.password.size() >= 22);

  exchange(a, b);
  REQUIRE(world.run_until([&] { return a.pair && b.pair; }));
  CHECK_FALSE(a.failure);
  CHECK_FALSE(b.failure);
  CHECK(a.pair->local.type == ice_candidate_type::host);
  CHECK(a.pair->remote.type == ice_candidate_type::host);
  CHECK(a.pair->local.address == b.pair->remote.address);
  CHECK(a.pair->remote.address == b.pair->local.address);
  CHECK_FALSE(a.pair->relay_server);
  check_datagrams(world, a, b);
}

TEST_CASE("the answerer may take the offer before its own gathering ends") {
  ice_world world;
  peer offerer(world, loopback_config(ice_role::controlling));
  REQUIRE(world.run_until([&] { return offerer.local.has_value(); }));
  peer answerer(world, loopback_config(ice_role::controlled));
  answerer.agent->set_remote(*offerer.local);  // right behind gather(), as an AttachReq arrives
  REQUIRE(world.run_until([&] { return answerer.local.has_value(); }));
  offerer.agent->set_remote(*answerer.local);
  REQUIRE(world.run_until([&] { return offerer.pair && answerer.pair; }));
  check_datagrams(world, offerer, answerer);
}

TEST_CASE("with force-relay the pair goes through the TURN server, and close releases it") {
  const auto transport = GENERATE(turn_transport::udp, turn_transport::tcp);
  INFO((transport == turn_transport::udp ? "TURN over UDP" : "TURN over TCP"));
  running_server server(relay_config());
  ice_world world;
  auto relayed_config = loopback_config(ice_role::controlling);
  relayed_config.force_relay = true;
  relayed_config.relays = {relay_of(server, transport)};
  relayed_config.check_timeout = 1s;  // slow retransmissions, for the close below
  peer a(world, relayed_config);
  peer b(world, loopback_config(ice_role::controlled));
  gather_both(world, a, b);
  REQUIRE(a.local->candidates.size() == 1);
  CHECK(a.local->candidates[0].type == ice_candidate_type::relay);
  REQUIRE(server.allocations().size() == 1);
  CHECK(a.local->candidates[0].address == server.allocations()[0].relayed);

  exchange(a, b);
  REQUIRE(world.run_until([&] { return a.pair && b.pair; }));
  CHECK(a.pair->local.type == ice_candidate_type::relay);
  CHECK(a.pair->relay_server == relayed_config.relays[0].server);
  CHECK(b.pair->remote.type == ice_candidate_type::relay);
  CHECK(b.pair->local.type == ice_candidate_type::host);
  check_datagrams(world, a, b);

  bool closed = false;
  const auto closing = std::chrono::steady_clock::now();
  a.agent->close([&] { closed = true; });
  REQUIRE(world.run_until([&] { return closed; }));
  // The deallocation was answered: unanswered, it would take a second and more.
  CHECK(std::chrono::steady_clock::now() - closing < relayed_config.check_timeout);
  CHECK(server.allocations().empty());
  CHECK(server.saw(allocation_change::deleted));
}

TEST_CASE("consent freshness (RFC 7675): a live path stays up, a silent far end fails it") {
  ice_world world;
  peer a(world, loopback_config(ice_role::controlling));
  peer b(world, loopback_config(ice_role::controlled));
  gather_both(world, a, b);
  exchange(a, b);
  REQUIRE(world.run_until([&] { return a.pair && b.pair; }));
  // Past libnice's 10 s consent expiry: the checks every 4-6 s are answered.
  world.run_until([] { return false; }, 12s);
  CHECK_FALSE(a.failure);
  CHECK_FALSE(b.failure);
  check_datagrams(world, a, b);

  // The far end goes away without a word: nothing answers the checks now.
  b.agent.reset();
  const auto silent = std::chrono::steady_clock::now();
  REQUIRE(world.run_until([&] { return a.failure.has_value(); }, 30s));
  // Keepalive checks without consent freshness fail a pair after 50 s.
  CHECK(std::chrono::steady_clock::now() - silent < 20s);
  CHECK(*a.failure == ice_failure::checks_failed);
}

TEST_CASE("a wrong remote password fails the checks in bounded time") {
  ice_world world;
  peer a(world, loopback_config(ice_role::controlling));
  peer b(world, loopback_config(ice_role::controlled));
  gather_both(world, a, b);
  auto wrong = *b.local;
  wrong.credentials.password = std::string(22, 'x');
  a.agent->set_remote(wrong);
  b.agent->set_remote(*a.local);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(world.run_until([&] { return a.failure && b.failure; }));
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK_FALSE(a.pair);
  CHECK_FALSE(b.pair);
  CHECK(*a.failure == ice_failure::checks_failed);
}

TEST_CASE("a remote candidate nobody answers on fails the checks in bounded time") {
  ice_world world;
  peer a(world, loopback_config(ice_role::controlling));
  REQUIRE(world.run_until([&] { return a.local.has_value(); }));
  a.agent->set_remote(silent_peer());
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(world.run_until([&] { return a.failure.has_value(); }));
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(*a.failure == ice_failure::checks_failed);
}

TEST_CASE("checks still running when the connect limit runs out end in timed_out") {
  ice_world world;
  auto patient = loopback_config(ice_role::controlling);
  patient.check_retransmissions = 7;
  patient.connect_limit = 300ms;
  peer a(world, patient);
  REQUIRE(world.run_until([&] { return a.local.has_value(); }));
  a.agent->set_remote(silent_peer());
  REQUIRE(world.run_until([&] { return a.failure.has_value(); }, 5s));
  CHECK(*a.failure == ice_failure::timed_out);
}

TEST_CASE("a relay refusing the credentials leaves force-relay with nothing to gather") {
  running_server server(relay_config());
  ice_world world;
  auto config = loopback_config(ice_role::controlling);
  config.force_relay = true;
  auto refused = relay_of(server);
  refused.password = "not-the-rest-password";
  config.relays = {refused};
  peer a(world, config);
  REQUIRE(world.run_until([&] { return a.failure.has_value(); }));
  CHECK(*a.failure == ice_failure::gathering_failed);
  CHECK_FALSE(a.local);
  CHECK(server.allocations().empty());
}

TEST_CASE("a description without candidates fails at once") {
  ice_world world;
  peer a(world, loopback_config(ice_role::controlling));
  REQUIRE(world.run_until([&] { return a.local.has_value(); }));
  a.agent->set_remote({{"ufrg", "a-password-of-22-chars"}, {}});
  REQUIRE(world.run_until([&] { return a.failure.has_value(); }, 2s));
  CHECK(*a.failure == ice_failure::no_usable_remote);
}

TEST_CASE("the agent answers an authenticated STUN Binding on its host candidate") {
  ice_world world;
  peer b(world, loopback_config(ice_role::controlled));
  REQUIRE(world.run_until([&] { return b.local.has_value(); }));

  stun_client client;
  const auto id = test::make_id(42);
  stun_writer request(stun_class::request, stun_method::binding, id);
  // RFC 8445 §7.1.2: USERNAME "receiver:sender", keyed with the receiver's password.
  add_string(request, attribute::username, b.local->credentials.ufrag + ":peer");
  add_u32(request, priority_attribute, 1845501695);
  request.add(ice_controlling_attribute, test::hex("0102030405060708"));  // tie-breaker
  request.add_message_integrity(bytes_of(b.local->credentials.password));
  request.add_fingerprint();

  const auto answer = client.call(request.bytes(), b.local->candidates[0].address);
  const auto parsed = parse_stun(answer);
  REQUIRE(parsed);
  CHECK(parsed.value().klass == stun_class::success);
  CHECK(parsed.value().id == id);
  CHECK(integrity_valid(parsed.value(), bytes_of(b.local->credentials.password)));
  const auto* mapped = parsed.value().find(attribute::xor_mapped_address);
  REQUIRE(mapped);
  CHECK(read_xor_address(*mapped, id).value() == client.socket.local_endpoint());
}

// RFC 6940 §6.5.1.4 has linked peers act as STUN servers: not on ICE sockets,
// where libnice wants the short-term credentials of a check.
TEST_CASE("a Binding without ICE credentials is answered 400 Bad Request") {
  ice_world world;
  peer b(world, loopback_config(ice_role::controlled));
  REQUIRE(world.run_until([&] { return b.local.has_value(); }));

  stun_client client;
  stun_writer request(stun_class::request, stun_method::binding, test::make_id(43));
  request.add_fingerprint();
  const auto answer = client.call(request.bytes(), b.local->candidates[0].address);
  const auto parsed = parse_stun(answer);
  REQUIRE(parsed);
  CHECK(parsed.value().klass == stun_class::error);
  const auto* error = parsed.value().find(attribute::error_code);
  REQUIRE(error);
  CHECK(read_error_code(*error).value().code == 400);
}

TEST_CASE("an agent destroyed at once, or from its own handler, stops cleanly") {
  ice_world world;
  int gathered = 0;
  const auto count_gathered = [&](const ice_description&) { ++gathered; };
  {
    ice_agent at_once(world.loop, world.io.get_executor(), loopback_config(ice_role::controlling),
                      {count_gathered, {}, {}, {}, {}});
    at_once.gather();
  }
  std::unique_ptr<ice_agent> self_closing;
  self_closing = std::make_unique<ice_agent>(world.loop, world.io.get_executor(),
                                             loopback_config(ice_role::controlled),
                                             ice_agent_handlers{[&](const ice_description& local) {
                                                                  count_gathered(local);
                                                                  self_closing.reset();
                                                                },
                                                                {},
                                                                {},
                                                                {},
                                                                {}});
  self_closing->gather();
  REQUIRE(world.run_until([&] { return gathered > 0; }));
  CHECK_FALSE(self_closing);
  world.run_until([] { return false; }, 300ms);
  CHECK(gathered == 1);  // only the agent still alive when its gathering ended
}

// RFC 6940 §6.5.1.4: linked peers serve as STUN servers through their
// stun_port. Gathering must end as soon as it answers (on loopback the
// reflexive address is the host one, which libnice then leaves out).
TEST_CASE("gathering with a peer's stun_port as STUN server ends within a second") {
  ice_world world;
  stun_port server(world.io, udp::endpoint(loopback, 0));
  server.start();
  auto config = loopback_config(ice_role::controlling);
  config.stun_servers = {server.local_endpoint()};
  const auto started = std::chrono::steady_clock::now();
  peer a(world, config);
  REQUIRE(world.run_until([&] { return a.local || a.failure; }));
  CHECK(a.local);
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  CHECK(server.counters().answered >= 1);
}

// --- ice_stream: libnice's reliable mode (PseudoTCP) as a byte stream ----------

namespace {

// One side of an ice_stream and what reached it.
struct stream_end final : p2psip::link::byte_stream_handler {
  std::optional<ice_description> local;
  bool gathering_failed = false;
  std::optional<ice_selected_pair> pair;
  std::optional<std::string> failure;
  std::vector<std::uint8_t> received;
  std::optional<std::string> closed;
  int drained = 0;
  std::shared_ptr<ice_stream> stream;

  stream_end(ice_world& world, ice_agent_config config) {
    stream = ice_stream::open(world.loop, world.io.get_executor(), std::move(config),
                              {[this](const ice_description* d) {
                                 if (d) local = *d;
                                 gathering_failed = d == nullptr;
                               },
                               [this](const ice_selected_pair& p) {
                                 pair = p;
                                 stream->start(*this);
                               },
                               [this](const std::string& why) { failure = why; }});
  }
  void on_stream_data(p2psip::wire::bytes_view data) override {
    received.insert(received.end(), data.begin(), data.end());
  }
  void on_stream_drained() override { ++drained; }
  void on_stream_closed(std::string_view reason) override { closed = std::string(reason); }
};

void connect_streams(ice_world& world, stream_end& a, stream_end& b) {
  REQUIRE(world.run_until([&] { return a.local && b.local; }));
  a.stream->set_remote(*from_attach_body(to_attach_body(*b.local, ice_role::controlled),
                                         ice_role::controlling));
  b.stream->set_remote(*from_attach_body(to_attach_body(*a.local, ice_role::controlling),
                                         ice_role::controlled));
  REQUIRE(world.run_until([&] { return a.pair && b.pair; }));
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7 + i / 251);
  return bytes;
}

// Many writes, more than PseudoTCP's window, arrive whole and in order.
void check_stream_transfer(ice_world& world, stream_end& a, stream_end& b) {
  const auto big = pattern(300'000, 1);
  for (std::size_t at = 0; at < big.size(); at += 1'000) {
    a.stream->write({big.begin() + static_cast<std::ptrdiff_t>(at),
                     big.begin() + static_cast<std::ptrdiff_t>(std::min(at + 1'000, big.size()))});
  }
  const auto small = pattern(5'000, 9);
  b.stream->write(small);
  REQUIRE(world.run_until([&] {
    return b.received.size() >= big.size() && a.received.size() >= small.size();
  }, 60s));
  CHECK(b.received == big);
  CHECK(a.received == small);
  REQUIRE(world.run_until([&] { return a.stream->queued_bytes() == 0; }));
  CHECK(a.drained > 0);
  CHECK_FALSE(a.closed);
  CHECK_FALSE(b.closed);
}

}  // namespace

TEST_CASE("two ice_streams carry bytes both ways, in order, beyond PseudoTCP's window") {
  ice_world world;
  stream_end a(world, loopback_config(ice_role::controlling));
  stream_end b(world, loopback_config(ice_role::controlled));
  connect_streams(world, a, b);
  CHECK(a.pair->local.type == ice_candidate_type::host);
  check_stream_transfer(world, a, b);
  SECTION("after close nothing more reaches the handlers") {
    a.stream->close(p2psip::link::close_mode::abort);
    const auto before = b.received.size();
    b.stream->write(pattern(100, 3));
    world.run_until([] { return false; }, 300ms);
    CHECK(b.received.size() == before);
    CHECK_FALSE(a.closed);  // a closed itself: no callback
  }
}

TEST_CASE("an ice_stream through a TURN relay (force-relay) carries the same transfer") {
  running_server server(relay_config());
  ice_world world;
  auto relayed_config = loopback_config(ice_role::controlling);
  relayed_config.force_relay = true;
  relayed_config.relays = {relay_of(server)};
  stream_end a(world, relayed_config);
  stream_end b(world, loopback_config(ice_role::controlled));
  connect_streams(world, a, b);
  CHECK(a.pair->local.type == ice_candidate_type::relay);
  check_stream_transfer(world, a, b);
  a.stream->close(p2psip::link::close_mode::abort);
  REQUIRE(world.run_until([&] { return server.allocations().empty(); }));
}

TEST_CASE("an ice_stream whose peer never answers reports failed, not connected") {
  ice_world world;
  auto config = loopback_config(ice_role::controlling);
  config.connect_limit = 2s;
  stream_end a(world, config);
  REQUIRE(world.run_until([&] { return a.local.has_value(); }));
  a.stream->set_remote(silent_peer());
  REQUIRE(world.run_until([&] { return a.failure.has_value(); }, 10s));
  CHECK_FALSE(a.pair);
  CHECK(a.failure->rfind("ICE: ", 0) == 0);
}
