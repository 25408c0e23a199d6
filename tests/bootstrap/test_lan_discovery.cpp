// lan_discovery on the loopback interface: two instances in one process find
// each other through the group; junk, another overlay's records and our own
// looped-back records are ignored; answers are capped.
//
// Multicast on lo works without any route when the interface is named
// explicitly (IP_MULTICAST_IF and the group join both use 127.0.0.1), so the
// test needs no privileges or network namespace. Each test uses a fresh
// port, so concurrent runs cannot hear each other.
#include <chrono>
#include <functional>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <catch2/catch.hpp>

#include "bootstrap/lan_discovery.hpp"
#include "wire/id_hash.hpp"

using namespace p2psip::bootstrap;
namespace ip = boost::asio::ip;
using p2psip::wire::node_id;

namespace {

constexpr auto patience = std::chrono::seconds(5);

std::uint16_t free_udp_port() {
  boost::asio::io_context io;
  ip::udp::socket probe(io, ip::udp::endpoint(ip::address_v4::any(), 0));
  return probe.local_endpoint().port();
}

node_id make_node(std::uint8_t fill) {
  node_id::bytes_type bytes{};
  bytes.fill(fill);
  return node_id(bytes);
}

struct found_peer {
  ip::address address;
  std::uint16_t port;
};

// One discovery instance and what it reported.
struct member {
  member(boost::asio::io_context& io, const std::string& overlay, std::uint8_t fill,
         std::uint16_t group_port, std::uint16_t overlay_port,
         const std::function<void(lan_discovery_options&)>& adjust = {}) {
    lan_discovery_options options;
    options.overlay_name = overlay;
    options.self = make_node(fill);
    options.advertised_address = ip::address_v4::any();
    options.overlay_port = overlay_port;
    options.port = group_port;
    options.interface = "127.0.0.1";
    options.interval = std::chrono::seconds(10);
    if (adjust) adjust(options);
    discovery = std::make_unique<lan_discovery>(
        io.get_executor(), options,
        [this](const node_id& node, const ip::address& address, std::uint16_t port) {
          found[node] = found_peer{address, port};
        });
  }
  std::unique_ptr<lan_discovery> discovery;
  std::map<node_id, found_peer> found;
};

// Runs the loop until `done` or the deadline; returns `done()`.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

// A datagram to the group from outside any instance, as a stranger would send.
void send_to_group(boost::asio::io_context& io, std::uint16_t group_port,
                   const std::vector<std::uint8_t>& bytes) {
  ip::udp::socket raw(io, ip::udp::endpoint(ip::make_address_v4("127.0.0.1"), 0));
  raw.set_option(ip::multicast::outbound_interface(ip::make_address_v4("127.0.0.1")));
  raw.send_to(boost::asio::buffer(bytes),
              ip::udp::endpoint(ip::make_address_v4("239.192.0.84"), group_port));
}

// A valid record of office.example from a stranger (`fill` makes its Node-ID).
std::vector<std::uint8_t> stranger_record(discovery_message type, std::uint8_t fill) {
  discovery_record record;
  record.type = type;
  record.overlay = p2psip::wire::hash_overlay_name("office.example");
  record.node = make_node(fill);
  record.port = 6084;
  return encode_discovery_record(record);
}

}  // namespace

TEST_CASE("two members of one overlay find each other") {
  boost::asio::io_context io;
  const std::uint16_t port = free_udp_port();
  member a(io, "office.example", 0xaa, port, 16084);
  member b(io, "office.example", 0xbb, port, 26084);
  a.discovery->start();
  b.discovery->start();  // its query reaches a, which answers

  REQUIRE(run_until(io, [&] { return a.found.size() == 1 && b.found.size() == 1; }));
  REQUIRE(a.found.count(make_node(0xbb)) == 1);
  CHECK(a.found[make_node(0xbb)].address == ip::make_address("127.0.0.1"));
  CHECK(a.found[make_node(0xbb)].port == 26084);
  REQUIRE(b.found.count(make_node(0xaa)) == 1);
  CHECK(b.found[make_node(0xaa)].address == ip::make_address("127.0.0.1"));
  CHECK(b.found[make_node(0xaa)].port == 16084);
  // Each heard its own query looped back and ignored it.
  CHECK(a.discovery->counters().ignored_own >= 1);
  CHECK(b.discovery->counters().answers_sent == 0);  // a queried before b was there
  CHECK(a.discovery->counters().answers_sent == 1);
}

TEST_CASE("announcements repeat at the interval without repeating the report") {
  boost::asio::io_context io;
  const std::uint16_t port = free_udp_port();
  const auto fast = [](lan_discovery_options& o) { o.interval = std::chrono::milliseconds(100); };
  member a(io, "office.example", 0xaa, port, 16084, fast);
  member b(io, "office.example", 0xbb, port, 26084, fast);
  a.discovery->start();
  b.discovery->start();
  REQUIRE(run_until(io, [&] {
    return a.discovery->counters().announcements_sent >= 3 &&
           b.discovery->counters().records_accepted >= 3;
  }));
  CHECK(b.found.size() == 1);
  CHECK(b.discovery->counters().peers_reported == 1);  // heard often, reported once
  // An explicit query right after start's own is held back by min_query_gap.
  CHECK_FALSE(a.discovery->query());
}

TEST_CASE("junk datagrams are counted and ignored") {
  boost::asio::io_context io;
  const std::uint16_t port = free_udp_port();
  member a(io, "office.example", 0xaa, port, 16084);
  a.discovery->start();
  send_to_group(io, port, {'h', 'e', 'l', 'l', 'o'});
  auto bytes = stranger_record(discovery_message::announcement, 0xcc);
  bytes[4] = 9;  // a version this code does not know
  send_to_group(io, port, bytes);
  REQUIRE(run_until(io, [&] { return a.discovery->counters().ignored_junk == 2; }));
  CHECK(a.found.empty());
}

TEST_CASE("another overlay on the same group is ignored") {
  boost::asio::io_context io;
  const std::uint16_t port = free_udp_port();
  member a(io, "office.example", 0xaa, port, 16084);
  member c(io, "other.example", 0xcc, port, 36084);
  a.discovery->start();
  c.discovery->start();  // a hears c's query
  REQUIRE(run_until(io, [&] { return a.discovery->counters().ignored_other_overlay >= 1; }));
  CHECK(a.found.empty());
  CHECK(c.found.empty());
  CHECK(a.discovery->counters().answers_sent == 0);
}

TEST_CASE("answers to queries are capped per second") {
  boost::asio::io_context io;
  const std::uint16_t port = free_udp_port();
  member a(io, "office.example", 0xaa, port, 16084,
           [](lan_discovery_options& o) { o.max_answers_per_second = 2; });
  a.discovery->start();
  for (std::uint8_t i = 1; i <= 5; ++i) {
    send_to_group(io, port, stranger_record(discovery_message::query, i));
  }
  REQUIRE(run_until(io, [&] { return a.discovery->counters().records_accepted == 5; }));
  CHECK(a.found.size() == 5);  // a query also introduces its sender
  CHECK(a.discovery->counters().answers_sent == 2);
  CHECK(a.discovery->counters().answers_suppressed == 3);
}

TEST_CASE("the interface may be given by name or address, and may come later") {
  const auto lo = discovery_interfaces("lo");
  REQUIRE(lo.size() == 1);
  CHECK(lo.front().address == ip::make_address_v4("127.0.0.1"));
  CHECK(discovery_interfaces("127.0.0.1") == lo);
  CHECK(discovery_interfaces("no-such-if0").empty());
  for (const auto& usable : discovery_interfaces("")) CHECK(usable.name != "lo");

  boost::asio::io_context io;
  const std::uint16_t port = free_udp_port();
  member by_name(io, "office.example", 0xaa, port, 16084,
                 [](lan_discovery_options& o) { o.interface = "lo"; });
  by_name.discovery->start();
  CHECK(by_name.discovery->status().state == "running");
  CHECK(by_name.discovery->status().interfaces == std::vector<std::string>{"lo"});
  CHECK(by_name.discovery->status().problem.empty());

  // An absent interface is waited for, not an error that stops discovery.
  member missing(io, "office.example", 0xbb, port, 16084,
                 [](lan_discovery_options& o) { o.interface = "no-such-if0"; });
  missing.discovery->start();
  const auto waiting = missing.discovery->status();
  CHECK(waiting.state == "waiting");
  CHECK(waiting.interfaces.empty());
  CHECK(waiting.problem.find("no-such-if0") != std::string::npos);
  CHECK_FALSE(missing.discovery->query());
  missing.discovery->stop();
  CHECK(missing.discovery->status().state == "off");
}

TEST_CASE("destroying a running instance leaves no handler behind") {
  boost::asio::io_context io;
  const std::uint16_t port = free_udp_port();
  auto a = std::make_unique<member>(io, "office.example", 0xaa, port, 16084);
  a->discovery->start();
  a.reset();
  io.run_for(std::chrono::milliseconds(50));  // cancelled handlers run and must do nothing
  CHECK(io.stopped());
}
