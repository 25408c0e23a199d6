// events.subscribe: snapshot first, then notifications filtered by topic;
// a reader that stops reading costs the daemon a bounded queue, and learns
// how many events it lost.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <sys/socket.h>

#include "control/json_rpc.hpp"
#include "control_test_support.hpp"

using namespace p2psip::control;
using namespace p2psip::control::test;
namespace json = boost::json;

TEST_CASE("topic filters match exact names, prefixes and everything", "[events]") {
  CHECK(topic_matches({}, "peer.up"));
  CHECK(topic_matches({"*"}, "storage.stored"));
  CHECK(topic_matches({"peer.up"}, "peer.up"));
  CHECK_FALSE(topic_matches({"peer.up"}, "peer.down"));
  CHECK(topic_matches({"peer.*"}, "peer.down"));
  CHECK_FALSE(topic_matches({"peer.*"}, "peerless.x"));
  CHECK(topic_matches({"node.state", "storage.*"}, "storage.expired"));
}

TEST_CASE("the bus delivers to matching subscribers until they unsubscribe", "[events]") {
  event_bus bus;
  std::vector<std::string> seen;
  auto peers =
      bus.subscribe({"peer.*"}, [&](const event& e) { seen.push_back("peers:" + e.topic); });
  auto all = bus.subscribe({}, [&](const event& e) { seen.push_back("all:" + e.topic); });
  bus.publish("peer.up", {{"node_id", "aa"}});
  bus.publish("node.state", {{"state", "joined"}});
  CHECK(seen == std::vector<std::string>{"peers:peer.up", "all:peer.up", "all:node.state"});

  seen.clear();
  peers.reset();
  bus.publish("peer.down");
  CHECK(seen == std::vector<std::string>{"all:peer.down"});
  CHECK(bus.subscriber_count() == 1);

  // The notification line carries the topic first, then the publisher's fields.
  std::string line;
  auto capture = bus.subscribe({"storage.stored"}, [&](const event& e) { line = *e.notification; });
  bus.publish("storage.stored", {{"key", "k"}, {"topic", "ignored"}});
  CHECK(line ==
        R"({"jsonrpc":"2.0","method":"event","params":{"topic":"storage.stored","key":"k"}})"
        "\n");
}

TEST_CASE("a subscriber may unsubscribe itself, and outlive the bus", "[events]") {
  event_subscription survivor;
  {
    event_bus bus;
    event_subscription self;
    int calls = 0;
    self = bus.subscribe({}, [&](const event&) {
      ++calls;
      self.reset();
    });
    bus.publish("a.b");
    bus.publish("a.b");
    CHECK(calls == 1);
    survivor = bus.subscribe({}, [](const event&) {});
  }
  survivor.reset();  // the bus is gone; this must do nothing
  CHECK_FALSE(survivor.active());
}

TEST_CASE("events.subscribe sends the snapshot, then filtered notifications", "[events]") {
  test_server server;
  server.on_loop([&] { server.state.node_state = "joining"; });
  auto client = server.connect();
  auto answer =
      client.call("events.subscribe", {{"topics", json::array{"peer.*", "node.state"}}}, 5s);
  REQUIRE(std::holds_alternative<rpc_response>(answer));
  const auto& subscribed = std::get<rpc_response>(answer);
  REQUIRE(subscribed.result);
  CHECK(subscribed.result->at("snapshot").at("state") == json::value("joining"));
  CHECK(subscribed.result->at("topics").as_array().size() == 2);

  server.on_loop([&] {
    server.events.publish("storage.stored", {{"key", "filtered out"}});
    server.events.publish("peer.up", {{"node_id", "0a"}});
    server.events.publish("node.state", {{"state", "joined"}});
  });
  auto first = read_json(client);
  CHECK(first.at("method") == json::value("event"));
  CHECK(first.at("params").at("topic") == json::value("peer.up"));
  CHECK(first.at("params").at("node_id") == json::value("0a"));
  CHECK(read_json(client).at("params").at("topic") == json::value("node.state"));

  // The stream ends with the connection; the bus forgets the subscriber.
  { auto gone = std::move(client); }
  CHECK(eventually(
      [&] { return server.on_loop([&] { return server.events.subscriber_count(); }) == 0; }));
}

TEST_CASE("a reader that does not read costs a bounded queue and learns what it lost", "[events]") {
  control_server_config config;
  config.event_queue_limit = 64;
  test_server server(config);
  auto client = server.connect();
  // A small receive buffer, so the kernel holds little and the server's
  // queue fills quickly.
  const int small = 4096;
  ::setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  auto answer = client.call("events.subscribe", {}, 5s);
  REQUIRE(std::holds_alternative<rpc_response>(answer));

  constexpr int published = 5000;
  const std::string padding(200, 'p');
  std::size_t deepest_seen = 0;
  for (int batch = 0; batch < published / 500; ++batch) {
    deepest_seen = std::max(deepest_seen, server.on_loop([&] {
      for (int i = 0; i < 500; ++i) {
        server.events.publish("peer.up", {{"seq", batch * 500 + i}, {"padding", padding}});
      }
      return server.server->stats().queued_events;
    }));
  }
  const auto stats = server.on_loop([&] { return server.server->stats(); });
  CHECK(deepest_seen <= config.event_queue_limit);
  CHECK(stats.event_queue_high_water <= config.event_queue_limit);
  CHECK(stats.events_dropped > 0);

  // Now read everything: what arrived plus what was reported lost is all.
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  std::int64_t last_seq = -1;
  bool in_order = true;
  while (received + lost < static_cast<std::uint64_t>(published)) {
    const auto message = read_json(client, 5s);
    const auto& params = message.at("params").as_object();
    if (params.at("topic") == json::value("events.lost")) {
      lost += params.at("count").as_int64();
      continue;
    }
    const std::int64_t seq = params.at("seq").as_int64();
    in_order = in_order && seq > last_seq;
    last_seq = seq;
    ++received;
  }
  CHECK(received + lost == static_cast<std::uint64_t>(published));
  CHECK(lost == stats.events_dropped);
  CHECK(in_order);
  CHECK(lost > 0);

  // After catching up the stream carries on normally.
  server.on_loop([&] { server.events.publish("peer.down", {{"node_id", "0b"}}); });
  CHECK(read_json(client).at("params").at("topic") == json::value("peer.down"));
}

TEST_CASE("a client handle sends events to its own subscriber only and hears it close",
          "[events]") {
  test_server server;
  auto subscribed = server.connect();
  auto other = server.connect();
  REQUIRE(std::holds_alternative<rpc_response>(
      subscribed.call("events.subscribe", {{"topics", json::array{"sip.message.*"}}}, 5s)));
  // overlay.route parks its responder: each handle is that call's connection.
  const auto parked = [&] { return server.on_loop([&] { return server.state.parked.size(); }); };
  const std::string route = encode_request(1, "overlay.route", {{"id", "00aa"}});
  subscribed.send_line(route);
  REQUIRE(eventually([&] { return parked() == 1; }));
  other.send_line(route);
  REQUIRE(eventually([&] { return parked() == 2; }));

  int closed = 0;
  const auto sent = server.on_loop([&] {
    auto mine = server.state.parked[0].client();
    auto theirs = server.state.parked[1].client();
    if (mine.same_as(theirs) || !mine.connected()) return std::string("handles confused");
    // Not subscribed, or a topic outside the filter: nothing is queued.
    if (theirs.notify("sip.message.received", {{"body", "x"}})) return std::string("theirs took it");
    if (mine.notify("peer.up", {})) return std::string("filter ignored");
    if (!mine.notify("sip.message.received", {{"body", "hello"}})) return std::string("refused");
    mine.on_close([&closed] { ++closed; });
    return std::string("ok");
  });
  REQUIRE(sent == "ok");
  const auto line = read_json(subscribed);
  CHECK(line.at("params").at("topic") == json::value("sip.message.received"));
  CHECK(line.at("params").at("body") == json::value("hello"));

  { auto gone = std::move(subscribed); }
  CHECK(eventually([&] { return server.on_loop([&] { return closed; }) == 1; }));
  CHECK_FALSE(server.on_loop([&] { return server.state.parked[0].client().connected(); }));
  // A handle of a closed connection runs a close callback at once.
  CHECK(server.on_loop([&] {
    int late = 0;
    server.state.parked[0].client().on_close([&late] { ++late; });
    return late;
  }) == 1);
}
