// turn_core under a manual clock and a relay_io that records what it is
// asked to do: credentials, every method, the §11.2 channel rules, lifetimes,
// quotas, the peer policy, bandwidth and the counters.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "nat/channel_data.hpp"
#include "nat/stun_crypto.hpp"
#include "nat/stun_reply.hpp"
#include "nat/turn_core.hpp"
#include "nat/turn_credentials.hpp"
#include "nat_test_util.hpp"

using namespace p2psip::nat;
using namespace std::chrono_literals;
using p2psip::nat::test::endpoint;

namespace {

constexpr std::int64_t start_unix = 1'800'000'000;
const std::string secret = "shared-secret";
const std::string realm = "test.realm";

class manual_clock final : public turn_clock {
 public:
  turn_time now() const override { return now_; }
  std::int64_t unix_seconds() const override {
    return start_unix + std::chrono::duration_cast<std::chrono::seconds>(now_ - turn_time{}).count();
  }
  void advance(turn_duration d) { now_ += d; }

 private:
  turn_time now_{};
};

struct sent {
  five_tuple to;
  std::vector<std::uint8_t> bytes;
};

class recording_io final : public relay_io {
 public:
  std::optional<transport_address> open_relay(relay_port wanted) override {
    if (full) return std::nullopt;
    while (open.count(next_port) || (wanted == relay_port::even && next_port % 2 != 0)) ++next_port;
    open.insert(next_port);
    return transport_address(relay_ip, next_port);
  }
  bool open_relay_at(const transport_address& relayed) override {
    return open.insert(relayed.port()).second;
  }
  void close_relay(const transport_address& relayed) override { open.erase(relayed.port()); }
  void send_to_peer(const transport_address& relayed, const transport_address& peer,
                    bytes_view data) override {
    to_peers.push_back({relayed, peer, {data.begin(), data.end()}});
  }
  void send_to_client(const five_tuple& client, bytes_view bytes) override {
    to_clients.push_back({client, {bytes.begin(), bytes.end()}});
  }

  struct peer_packet {
    transport_address relayed;
    transport_address peer;
    std::vector<std::uint8_t> data;
  };
  boost::asio::ip::address relay_ip = boost::asio::ip::make_address("192.0.2.100");
  std::uint16_t next_port = 50001;
  std::set<std::uint16_t> open;
  bool full = false;
  std::vector<sent> to_clients;
  std::vector<peer_packet> to_peers;
};

turn_config test_config() {
  turn_config config;
  config.realm = realm;
  config.shared_secret = secret;
  config.relay_address = boost::asio::ip::make_address("192.0.2.100");
  config.relay_port_min = 50000;
  config.relay_port_max = 50100;
  return config;
}

// A TURN client speaking through the core: it keeps the nonce it was given
// and signs with its REST credentials.
struct client {
  five_tuple tuple;
  std::string username;
  std::string password;
  std::string nonce;
  std::uint8_t next_id = 1;

  std::vector<std::uint8_t> request(std::uint16_t method,
                                    const std::function<void(stun_writer&, const transaction_id&)>& add,
                                    bool sign = true) {
    const auto id = test::make_id(next_id++);
    stun_writer w(stun_class::request, method, id);
    add(w, id);
    if (sign) {
      add_string(w, attribute::username, username);
      add_string(w, attribute::realm, realm);
      add_string(w, attribute::nonce, nonce);
      w.add_message_integrity(long_term_key(username, realm, password));
    }
    w.add_fingerprint();
    return w.bytes();
  }
};

struct fixture {
  manual_clock clock;
  recording_io io;
  std::unique_ptr<turn_core> core;
  std::vector<std::pair<allocation_change, allocation_info>> changes;

  explicit fixture(turn_config config = test_config()) {
    core = std::make_unique<turn_core>(std::move(config), io, clock);
    core->on_allocation_change([this](allocation_change c, const allocation_info& info) {
      changes.emplace_back(c, info);
    });
  }

  client make_client(std::string_view ip, std::uint16_t port, std::string_view id = "alice",
                     client_transport transport = client_transport::udp,
                     std::chrono::seconds ttl = 3600s) {
    const auto credentials = mint_turn_credentials(secret, id, ttl, clock.unix_seconds(), {});
    return {{transport, endpoint(ip, port), endpoint("192.0.2.100", 3478)},
            credentials.username, credentials.password, "", 1};
  }

  // Sends and returns the one answer parsed (kept alive in `answers`).
  stun_message exchange(const client& c, const std::vector<std::uint8_t>& bytes) {
    io.to_clients.clear();
    core->on_client_message(c.tuple, bytes);
    REQUIRE(io.to_clients.size() == 1);
    CHECK(io.to_clients[0].to == c.tuple);
    answers.push_back(io.to_clients[0].bytes);
    auto m = parse_stun(answers.back());
    REQUIRE(m);
    return *m;
  }

  // The unsigned first try, its 401 with the nonce, then the signed request,
  // once more with a new nonce after a 438.
  stun_message signed_exchange(client& c, std::uint16_t method,
                               const std::function<void(stun_writer&, const transaction_id&)>& add) {
    if (c.nonce.empty()) {
      const auto challenge = exchange(c, c.request(method, add, false));
      REQUIRE(error_code(challenge) == 401);
      CHECK(read_string(*challenge.find(attribute::realm)) == realm);
      c.nonce = read_string(*challenge.find(attribute::nonce));
    }
    const auto answer = exchange(c, c.request(method, add));
    if (error_code(answer) != 438) return answer;
    c.nonce = read_string(*answer.find(attribute::nonce));
    return exchange(c, c.request(method, add));
  }

  stun_message allocate(client& c, std::uint32_t lifetime = 0) {
    return signed_exchange(c, stun_method::allocate, [&](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
      if (lifetime) add_u32(w, attribute::lifetime, lifetime);
    });
  }

  stun_message permit(client& c, const transport_address& peer) {
    return signed_exchange(c, stun_method::create_permission,
                           [&](stun_writer& w, const transaction_id& id) {
                             add_xor_address(w, attribute::xor_peer_address, peer, id);
                           });
  }

  stun_message bind(client& c, std::uint16_t channel, const transport_address& peer) {
    return signed_exchange(c, stun_method::channel_bind,
                           [&](stun_writer& w, const transaction_id& id) {
                             add_channel_number(w, channel);
                             add_xor_address(w, attribute::xor_peer_address, peer, id);
                           });
  }

  void send_indication(const client& c, const transport_address& peer, std::string_view data) {
    const auto id = test::make_id(200);
    stun_writer w(stun_class::indication, stun_method::send, id);
    add_xor_address(w, attribute::xor_peer_address, peer, id);
    w.add(attribute::data, text_bytes(data));
    core->on_client_message(c.tuple, w.bytes());
  }

  static std::uint16_t error_code(const stun_message& m) {
    if (m.klass != stun_class::error) return 0;
    return read_error_code(*m.find(attribute::error_code))->code;
  }

  std::uint64_t refused(refusal r) const { return core->counters().refused(r); }

  std::vector<std::vector<std::uint8_t>> answers;
};

const auto peer_a = endpoint("198.51.100.1", 6000);
const auto peer_b = endpoint("198.51.100.2", 7000);

}  // namespace

TEST_CASE("no credentials, wrong, expired or stale ones get 401 or 438 and allocate nothing") {
  fixture f;
  auto c = f.make_client("203.0.113.1", 1000);
  SECTION("no credentials: 401 with REALM and NONCE") {
    const auto m = f.exchange(c, c.request(stun_method::allocate, [](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
    }, false));
    CHECK(fixture::error_code(m) == 401);
    CHECK(m.find(attribute::nonce));
    CHECK_FALSE(m.find(attribute::message_integrity));
    CHECK(f.refused(refusal::no_credentials) == 1);
  }
  SECTION("wrong password") {
    c.password = "not-the-password";
    CHECK(fixture::error_code(f.allocate(c)) == 401);
    CHECK(f.refused(refusal::bad_credentials) == 1);
  }
  SECTION("a username that is not REST-shaped") {
    c.username = "alice";
    c.password = turn_rest_password(secret, "alice");
    CHECK(fixture::error_code(f.allocate(c)) == 401);
  }
  SECTION("expired credentials") {
    auto old = f.make_client("203.0.113.1", 1000, "alice", client_transport::udp, 10s);
    f.clock.advance(11s);
    CHECK(fixture::error_code(f.allocate(old)) == 401);
    CHECK(f.refused(refusal::bad_credentials) == 1);
  }
  SECTION("a nonce past its lifetime is stale: 438 with a new one") {
    REQUIRE(f.allocate(c).klass == stun_class::success);
    f.clock.advance(601s);
    f.core->expire();
    const auto m = f.exchange(c, c.request(stun_method::refresh, [](stun_writer&, const transaction_id&) {}));
    CHECK(fixture::error_code(m) == 438);
    CHECK(read_string(*m.find(attribute::nonce)) != c.nonce);
    CHECK(f.refused(refusal::stale_nonce) == 1);
  }
  SECTION("a forged nonce is stale too") {
    c.nonce = "0000000000000000ffffffffffffffff";
    CHECK(fixture::error_code(f.exchange(c, c.request(stun_method::allocate,
                                                      [](stun_writer& w, const transaction_id&) {
                                                        add_requested_transport(w, protocol_udp);
                                                      }))) == 438);
  }
  SECTION("a signed request without NONCE is a bad request") {
    stun_writer w(stun_class::request, stun_method::allocate, test::make_id(9));
    add_string(w, attribute::username, c.username);
    w.add_message_integrity(text_bytes("x"));
    CHECK(fixture::error_code(f.exchange(c, w.bytes())) == 400);
  }
  CHECK(f.core->list_allocations().empty());
  CHECK(f.io.open.empty());
}

TEST_CASE("Allocate: relayed and mapped addresses, lifetime, signed answer, event") {
  fixture f;
  auto c = f.make_client("203.0.113.1", 1000);
  const auto m = f.allocate(c);
  REQUIRE(m.klass == stun_class::success);
  const auto relayed = *read_xor_address(*m.find(attribute::xor_relayed_address), m.id);
  CHECK(relayed == endpoint("192.0.2.100", 50001));
  CHECK(*read_xor_address(*m.find(attribute::xor_mapped_address), m.id) == c.tuple.client);
  CHECK(*read_u32(*m.find(attribute::lifetime)) == 600);
  CHECK(integrity_valid(m, long_term_key(c.username, realm, c.password)));
  REQUIRE(f.changes.size() == 1);
  CHECK(f.changes[0].first == allocation_change::created);
  CHECK(f.changes[0].second.relayed == relayed);
  const auto list = f.core->list_allocations();
  REQUIRE(list.size() == 1);
  CHECK(list[0].username == c.username);
  CHECK(list[0].expires_in == 600s);
  CHECK(f.core->counters().allocations_created == 1);

  SECTION("a retransmission gets the same answer, a new Allocate 437") {
    f.io.to_clients.clear();
    c.next_id--;
    const auto again = f.exchange(c, c.request(stun_method::allocate, [](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
    }));
    CHECK(std::vector<std::uint8_t>(again.raw.begin(), again.raw.end()) ==
          std::vector<std::uint8_t>(m.raw.begin(), m.raw.end()));
    CHECK(fixture::error_code(f.allocate(c)) == 437);
  }
  SECTION("another user on the same 5-tuple gets 441") {
    auto mallory = f.make_client("203.0.113.1", 1000, "mallory");
    mallory.nonce = c.nonce;
    CHECK(fixture::error_code(f.permit(mallory, peer_a)) == 441);
    CHECK(f.refused(refusal::wrong_credentials) == 1);
  }
  SECTION("lifetimes are clamped between the default and the maximum") {
    auto d = f.make_client("203.0.113.2", 1000, "dave");
    CHECK(*read_u32(*f.allocate(d, 7200).find(attribute::lifetime)) == 3600);
    auto e = f.make_client("203.0.113.3", 1000, "erin");
    CHECK(*read_u32(*f.allocate(e, 60).find(attribute::lifetime)) == 600);
  }
}

TEST_CASE("Allocate refusals: 400, 440, 442, 420, 486, 508") {
  turn_config config = test_config();
  config.max_allocations_per_user = 2;
  config.max_allocations = 3;
  fixture f(config);
  auto c = f.make_client("203.0.113.1", 1000);
  SECTION("no REQUESTED-TRANSPORT: 400") {
    CHECK(fixture::error_code(f.signed_exchange(c, stun_method::allocate,
                                                [](stun_writer&, const transaction_id&) {})) == 400);
  }
  SECTION("TCP relaying: 442") {
    CHECK(fixture::error_code(f.signed_exchange(c, stun_method::allocate,
                                                [](stun_writer& w, const transaction_id&) {
                                                  add_requested_transport(w, 6);
                                                })) == 442);
    CHECK(f.refused(refusal::unsupported_transport) == 1);
  }
  SECTION("REQUESTED-ADDRESS-FAMILY: IPv4 served, IPv6 440") {
    CHECK(f.signed_exchange(c, stun_method::allocate, [](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
      add_requested_address_family(w, family_ipv4);
    }).klass == stun_class::success);
    auto v6 = f.make_client("203.0.113.2", 1000);
    CHECK(fixture::error_code(f.signed_exchange(v6, stun_method::allocate, [](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
      add_requested_address_family(w, family_ipv6);
    })) == 440);
    CHECK(f.refused(refusal::unsupported_family) == 1);
  }
  SECTION("DONT-FRAGMENT is not supported: 420 naming it") {
    const auto m = f.signed_exchange(c, stun_method::allocate, [](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
      add_dont_fragment(w);
    });
    CHECK(fixture::error_code(m) == 420);
    CHECK(*read_unknown_attributes(*m.find(attribute::unknown_attributes)) ==
          std::vector<std::uint16_t>{attribute::dont_fragment});
    CHECK(integrity_valid(m, long_term_key(c.username, realm, c.password)));
  }
  SECTION("per-user quota: 486; total capacity: 508") {
    auto a2 = f.make_client("203.0.113.1", 1001);
    auto a3 = f.make_client("203.0.113.1", 1002);
    CHECK(f.allocate(c).klass == stun_class::success);
    CHECK(f.allocate(a2).klass == stun_class::success);
    CHECK(fixture::error_code(f.allocate(a3)) == 486);
    auto b = f.make_client("203.0.113.9", 1000, "bob");
    CHECK(f.allocate(b).klass == stun_class::success);
    auto carol = f.make_client("203.0.113.10", 1000, "carol");
    CHECK(fixture::error_code(f.allocate(carol)) == 508);
    CHECK(f.refused(refusal::quota_reached) == 1);
    CHECK(f.refused(refusal::insufficient_capacity) == 1);
    // Ending one frees its user's share.
    f.core->on_client_closed(c.tuple);
    CHECK(f.allocate(a3).klass == stun_class::success);
  }
  SECTION("no relay port free: 508") {
    f.io.full = true;
    CHECK(fixture::error_code(f.allocate(c)) == 508);
  }
  CHECK(f.core->list_allocations().size() <= 3);
}

TEST_CASE("EVEN-PORT with R reserves N+1 for the allocation that brings the token") {
  fixture f;
  auto rtp = f.make_client("203.0.113.1", 1000);
  f.io.next_port = 50003;
  const auto m = f.signed_exchange(rtp, stun_method::allocate, [](stun_writer& w, const transaction_id&) {
    add_requested_transport(w, protocol_udp);
    add_even_port(w, true);
  });
  REQUIRE(m.klass == stun_class::success);
  const auto relayed = *read_xor_address(*m.find(attribute::xor_relayed_address), m.id);
  CHECK(relayed.port() % 2 == 0);
  const auto token = *read_reservation_token(*m.find(attribute::reservation_token));
  auto rtcp = f.make_client("203.0.113.1", 1001);
  const auto second = f.signed_exchange(rtcp, stun_method::allocate, [&](stun_writer& w, const transaction_id&) {
    add_requested_transport(w, protocol_udp);
    add_reservation_token(w, token);
  });
  REQUIRE(second.klass == stun_class::success);
  CHECK(read_xor_address(*second.find(attribute::xor_relayed_address), second.id)->port() ==
        relayed.port() + 1);
  // A token is good once.
  auto third = f.make_client("203.0.113.1", 1002);
  CHECK(fixture::error_code(f.signed_exchange(third, stun_method::allocate, [&](stun_writer& w, const transaction_id&) {
    add_requested_transport(w, protocol_udp);
    add_reservation_token(w, token);
  })) == 508);
}

TEST_CASE("permissions, Send and Data indications, and what is dropped") {
  fixture f;
  auto c = f.make_client("203.0.113.1", 1000);
  const auto relayed = *read_xor_address(*f.allocate(c).find(attribute::xor_relayed_address), test::make_id(2));
  f.send_indication(c, peer_a, "early");
  CHECK(f.io.to_peers.empty());
  CHECK(f.refused(refusal::no_permission) == 1);

  REQUIRE(f.permit(c, peer_a).klass == stun_class::success);
  f.send_indication(c, peer_a, "hello");
  REQUIRE(f.io.to_peers.size() == 1);
  CHECK(f.io.to_peers[0].relayed == relayed);
  CHECK(f.io.to_peers[0].peer == peer_a);
  CHECK(f.io.to_peers[0].data == std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'});

  // The permission is per IP address: any port of peer A may answer.
  f.io.to_clients.clear();
  f.core->on_peer_datagram(relayed, endpoint("198.51.100.1", 6001), text_bytes("back"));
  REQUIRE(f.io.to_clients.size() == 1);
  const auto data = parse_stun(f.io.to_clients[0].bytes);
  REQUIRE(data);
  CHECK(data->klass == stun_class::indication);
  CHECK(data->method == stun_method::data);
  CHECK(*read_xor_address(*data->find(attribute::xor_peer_address), data->id) ==
        endpoint("198.51.100.1", 6001));
  CHECK(read_string(*data->find(attribute::data)) == "back");

  f.io.to_clients.clear();
  f.core->on_peer_datagram(relayed, peer_b, text_bytes("unasked"));
  CHECK(f.io.to_clients.empty());
  CHECK(f.refused(refusal::no_permission) == 2);

  // Permissions last 300 s unless refreshed.
  f.clock.advance(301s);
  f.core->expire();
  f.send_indication(c, peer_a, "late");
  CHECK(f.io.to_peers.size() == 1);
  CHECK(f.core->list_allocations()[0].permissions.empty());
  const auto stats = f.core->list_allocations()[0];
  CHECK(stats.to_peer.packets == 1);
  CHECK(stats.to_peer.bytes == 5);
  CHECK(stats.from_peer.packets == 1);
  CHECK(f.core->counters().to_peers.bytes == 5);
}

TEST_CASE("ChannelBind follows §11.2 and ChannelData flows both ways") {
  const auto transport = GENERATE(client_transport::udp, client_transport::tcp);
  fixture f;
  auto c = f.make_client("203.0.113.1", 1000, "alice", transport);
  const auto m = f.allocate(c, 3600);
  const auto relayed = *read_xor_address(*m.find(attribute::xor_relayed_address), m.id);
  CHECK(fixture::error_code(f.bind(c, 0x3FFF, peer_a)) == 400);
  CHECK(fixture::error_code(f.bind(c, 0x8000, peer_a)) == 400);
  REQUIRE(f.bind(c, 0x4000, peer_a).klass == stun_class::success);
  CHECK(f.bind(c, 0x4000, peer_a).klass == stun_class::success);  // a refresh
  CHECK(fixture::error_code(f.bind(c, 0x4000, peer_b)) == 400);
  CHECK(fixture::error_code(f.bind(c, 0x4001, peer_a)) == 400);

  f.core->on_client_message(c.tuple, encode_channel_data(0x4000, text_bytes("via channel"), false));
  REQUIRE(f.io.to_peers.size() == 1);
  CHECK(f.io.to_peers[0].peer == peer_a);
  f.core->on_client_message(c.tuple, encode_channel_data(0x4002, text_bytes("unbound"), false));
  CHECK(f.refused(refusal::unbound_channel) == 1);

  f.io.to_clients.clear();
  f.core->on_peer_datagram(relayed, peer_a, text_bytes("abc"));
  REQUIRE(f.io.to_clients.size() == 1);
  const auto& bytes = f.io.to_clients[0].bytes;
  // Padded to 4 over streams only (§11.5).
  CHECK(bytes.size() == (transport == client_transport::udp ? 7u : 8u));
  const auto channel = parse_channel_data(bytes);
  REQUIRE(channel);
  CHECK(channel->channel == 0x4000);

  const auto listed = f.core->list_allocations()[0];
  REQUIRE(listed.channels.size() == 1);
  CHECK(listed.channels[0].peer == peer_a);

  // Channels last 600 s, then the number stays reserved for five minutes.
  f.clock.advance(601s);
  f.core->expire();
  CHECK(f.core->list_allocations()[0].channels.empty());
  CHECK(fixture::error_code(f.bind(c, 0x4000, peer_b)) == 400);
  f.clock.advance(300s);
  f.core->expire();
  CHECK(f.bind(c, 0x4000, peer_b).klass == stun_class::success);
}

TEST_CASE("the peer policy: loopback, deny lists and the server's own ports get 403") {
  turn_config config = test_config();
  config.peers.deny.push_back(*address_range::parse("198.51.100.0/24"));
  config.peers.allow.push_back(*address_range::parse("203.0.113.0/24"));
  SECTION("defaults") {
    fixture f(config);
    auto c = f.make_client("203.0.113.1", 1000);
    REQUIRE(f.allocate(c).klass == stun_class::success);
    CHECK(fixture::error_code(f.permit(c, endpoint("127.0.0.1", 5000))) == 403);
    CHECK(fixture::error_code(f.permit(c, endpoint("0.0.0.0", 5000))) == 403);
    CHECK(fixture::error_code(f.permit(c, endpoint("224.0.0.1", 5000))) == 403);
    CHECK(fixture::error_code(f.permit(c, endpoint("::1", 5000))) == 403);
    CHECK(fixture::error_code(f.permit(c, peer_a)) == 403);
    CHECK(f.permit(c, endpoint("203.0.113.7", 1)).klass == stun_class::success);
    // The relay address is allowed as a peer, but not its relay sockets.
    CHECK(f.bind(c, 0x4000, endpoint("192.0.2.100", 50050)).klass == stun_class::success);
    CHECK(fixture::error_code(f.bind(c, 0x4001, endpoint("192.0.2.100", 50001))) == 403);
    CHECK(f.refused(refusal::forbidden_peer) == 6);
  }
  SECTION("loopback allowed for tests, but never the server's own sockets") {
    config.peers.allow_loopback = true;
    config.relay_address = boost::asio::ip::make_address("127.0.0.1");
    fixture f(config);
    f.io.relay_ip = config.relay_address;
    f.core->peers().add_own_endpoint(endpoint("0.0.0.0", 3478));
    auto c = f.make_client("203.0.113.1", 1000);
    REQUIRE(f.allocate(c).klass == stun_class::success);
    CHECK(f.bind(c, 0x4000, endpoint("127.0.0.1", 5000)).klass == stun_class::success);
    CHECK(fixture::error_code(f.bind(c, 0x4001, endpoint("127.0.0.1", 3478))) == 403);
    CHECK(fixture::error_code(f.bind(c, 0x4002, endpoint("127.0.0.1", 50001))) == 403);
  }
}

TEST_CASE("Refresh: LIFETIME 0 deletes, lifetimes run out, closed connections end theirs") {
  fixture f;
  auto c = f.make_client("203.0.113.1", 1000);
  REQUIRE(f.allocate(c).klass == stun_class::success);
  SECTION("refresh then delete") {
    const auto refreshed = f.signed_exchange(c, stun_method::refresh, [](stun_writer& w, const transaction_id&) {
      add_u32(w, attribute::lifetime, 1200);
    });
    CHECK(*read_u32(*refreshed.find(attribute::lifetime)) == 1200);
    const auto deleted = f.signed_exchange(c, stun_method::refresh, [](stun_writer& w, const transaction_id&) {
      add_u32(w, attribute::lifetime, 0);
    });
    CHECK(deleted.klass == stun_class::success);
    CHECK(*read_u32(*deleted.find(attribute::lifetime)) == 0);
    CHECK(f.changes.back().first == allocation_change::deleted);
    CHECK(fixture::error_code(f.permit(c, peer_a)) == 437);
  }
  SECTION("expiry") {
    f.clock.advance(599s);
    f.core->expire();
    CHECK(f.core->list_allocations().size() == 1);
    f.clock.advance(1s);
    f.core->expire();
    CHECK(f.core->list_allocations().empty());
    CHECK(f.changes.back().first == allocation_change::expired);
    CHECK(f.core->counters().allocations_ended == 1);
  }
  SECTION("connection closed") {
    f.core->on_client_closed(c.tuple);
    CHECK(f.changes.back().first == allocation_change::deleted);
  }
  CHECK(f.io.open.empty());
}

TEST_CASE("bandwidth per allocation is a token bucket") {
  turn_config config = test_config();
  config.bandwidth_per_allocation = 1000;
  fixture f(config);
  auto c = f.make_client("203.0.113.1", 1000);
  REQUIRE(f.allocate(c).klass == stun_class::success);
  REQUIRE(f.permit(c, endpoint("203.0.113.50", 1)).klass == stun_class::success);
  const std::string payload(600, 'x');
  f.send_indication(c, endpoint("203.0.113.50", 1), payload);
  f.send_indication(c, endpoint("203.0.113.50", 1), payload);
  CHECK(f.io.to_peers.size() == 1);
  CHECK(f.refused(refusal::bandwidth) == 1);
  f.clock.advance(500ms);
  f.send_indication(c, endpoint("203.0.113.50", 1), payload);
  CHECK(f.io.to_peers.size() == 2);
}

TEST_CASE("Binding on the TURN port, other methods, keepalives and malformed input") {
  fixture f;
  auto c = f.make_client("203.0.113.1", 1000);
  const auto bound = f.exchange(c, stun_writer(stun_class::request, stun_method::binding, test::make_id(1)).bytes());
  CHECK(*read_xor_address(*bound.find(attribute::xor_mapped_address), bound.id) == c.tuple.client);
  CHECK(fixture::error_code(f.exchange(c, stun_writer(stun_class::request, 0x0abc, test::make_id(2)).bytes())) == 400);
  f.io.to_clients.clear();
  const std::vector<std::uint8_t> junk = {0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xA4, 0x42, 1, 2};
  f.core->on_client_message(c.tuple, junk);
  f.core->on_client_message(c.tuple, test::hex("40 00 00 09 01"));
  f.core->on_client_message(c.tuple, stun_writer(stun_class::success, stun_method::allocate, test::make_id(3)).bytes());
  f.core->on_client_message(c.tuple, stun_writer(stun_class::indication, stun_method::binding, test::make_id(4)).bytes());
  CHECK(f.io.to_clients.empty());
  CHECK(f.refused(refusal::malformed) == 2);
}

TEST_CASE("TURN REST credentials: minting, expiry, ids and URIs") {
  const auto minted = mint_turn_credentials("s3cret", "node-7", 3600s, 1'700'000'000,
                                            turn_uris("192.0.2.1", 3478, 5349));
  CHECK(minted.username == "1700003600:node-7");
  CHECK(minted.password == turn_rest_password("s3cret", minted.username));
  CHECK(minted.password.size() == 28);  // base64 of 20 bytes
  CHECK(minted.ttl == 3600s);
  CHECK(minted.uris == std::vector<std::string>{"turn:192.0.2.1:3478?transport=udp",
                                                "turn:192.0.2.1:3478?transport=tcp",
                                                "turns:192.0.2.1:5349?transport=tcp"});
  CHECK(turn_rest_expiry(minted.username) == 1'700'003'600);
  CHECK_FALSE(turn_rest_expiry("alice"));
  CHECK_FALSE(turn_rest_expiry("12a:alice"));
  CHECK(turn_rest_id(minted.username) == "node-7");
  CHECK(turn_rest_id("plain") == "plain");
  // The value coturn's --use-auth-secret computes for the same inputs.
  CHECK(turn_rest_password("secret", "1700000000:user") == base64(hmac_sha1(text_bytes("secret"),
                                                                          text_bytes("1700000000:user"))));
}

TEST_CASE("address ranges parse strictly and match by prefix") {
  const auto v4 = address_range::parse("10.0.0.0/8");
  REQUIRE(v4);
  CHECK(v4->contains(boost::asio::ip::make_address("10.200.3.4")));
  CHECK_FALSE(v4->contains(boost::asio::ip::make_address("11.0.0.1")));
  CHECK_FALSE(v4->contains(boost::asio::ip::make_address("::ffff:10.0.0.1")));
  const auto v6 = address_range::parse("2001:db8::/33");
  REQUIRE(v6);
  CHECK(v6->contains(boost::asio::ip::make_address("2001:db8:7fff::1")));
  CHECK_FALSE(v6->contains(boost::asio::ip::make_address("2001:db8:8000::1")));
  CHECK(address_range::parse("192.0.2.1")->to_string() == "192.0.2.1/32");
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "nonsense", "10.0.0.0/8x"}) {
    CHECK_FALSE(address_range::parse(bad));
  }
}
