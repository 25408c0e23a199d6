#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "overlay/sim/network.hpp"
#include "overlay_test_util.hpp"

using namespace p2psip::overlay;
using namespace std::chrono_literals;
using p2psip::overlay::test::id;

namespace {

struct event_record {
  time_point at;
  std::string what;
  node_id peer;
  std::vector<std::uint8_t> payload;
  bool operator==(const event_record&) const = default;
};

class recorder final : public transport_events {
 public:
  explicit recorder(const sim::event_scheduler& clock) : clock_(clock) {}
  void on_message(const node_id& from, std::span<const std::uint8_t> m) override {
    log.push_back({clock_.now(), "message", from, {m.begin(), m.end()}});
  }
  void on_link_up(const node_id& peer) override { log.push_back({clock_.now(), "up", peer, {}}); }
  void on_link_down(const node_id& peer) override {
    log.push_back({clock_.now(), "down", peer, {}});
  }
  std::size_t count(const std::string& what) const {
    return static_cast<std::size_t>(
        std::count_if(log.begin(), log.end(), [&](const auto& e) { return e.what == what; }));
  }
  std::vector<event_record> log;

 private:
  const sim::event_scheduler& clock_;
};

const time_point t0{};
const std::vector<std::uint8_t> hello{1, 2, 3};

// Two linked nodes, a and b, with the link up.
struct pair_fixture {
  explicit pair_fixture(sim::network_config config = {})
      : net(clock, config), a(clock), b(clock),
        ta(net.add_node(id(1), a)), tb(net.add_node(id(2), b)) {
    net.connect(id(1), id(2));
    clock.run();
  }
  sim::event_scheduler clock;
  sim::network net;
  recorder a, b;
  message_transport& ta;
  message_transport& tb;
};

}  // namespace

TEST_CASE("a link comes up at both ends after one latency") {
  sim::event_scheduler clock;
  sim::network net(clock);
  recorder a(clock), b(clock);
  auto& ta = net.add_node(id(1), a);
  net.add_node(id(2), b);
  CHECK_FALSE(ta.send(id(2), hello));  // no link yet
  CHECK(net.connect(id(1), id(2)));
  CHECK_FALSE(net.connect(id(2), id(1)));
  CHECK_FALSE(net.connect(id(1), id(9)));
  CHECK_FALSE(ta.send(id(2), hello));  // still connecting
  clock.run();
  CHECK(a.log == std::vector<event_record>{{t0 + 10ms, "up", id(2), {}}});
  CHECK(b.log == std::vector<event_record>{{t0 + 10ms, "up", id(1), {}}});
  CHECK(net.linked(id(1), id(2)));
}

TEST_CASE("messages arrive intact after the link's latency") {
  pair_fixture f;
  const auto sent_at = f.clock.now();
  CHECK(f.ta.send(id(2), hello));
  CHECK(f.tb.send(id(1), {9}));
  CHECK_FALSE(f.ta.send(id(7), hello));  // unknown node
  f.clock.run();
  CHECK(f.b.log.back() == event_record{sent_at + 10ms, "message", id(1), hello});
  CHECK(f.a.log.back() == event_record{sent_at + 10ms, "message", id(2), {9}});
  CHECK(f.net.stats().delivered == 2);
}

TEST_CASE("each link can have its own latency") {
  pair_fixture f;
  CHECK(f.net.set_link_profile(id(1), id(2), {250ms, 0}));
  CHECK_FALSE(f.net.set_link_profile(id(1), id(3), {250ms, 0}));
  const auto sent_at = f.clock.now();
  f.tb.send(id(1), hello);
  f.clock.run();
  CHECK(f.a.log.back().at == sent_at + 250ms);
}

TEST_CASE("a lossy link drops its share of messages") {
  pair_fixture f;
  f.net.set_link_profile(id(1), id(2), {10ms, 1.0});
  for (int i = 0; i < 10; ++i) CHECK(f.ta.send(id(2), hello));  // loss is silent
  f.clock.run();
  CHECK(f.b.count("message") == 0);
  CHECK(f.net.stats().lost == 10);

  f.net.set_link_profile(id(1), id(2), {10ms, 0.5});
  for (int i = 0; i < 1000; ++i) f.ta.send(id(2), hello);
  f.clock.run();
  CHECK(f.b.count("message") > 400);
  CHECK(f.b.count("message") < 600);
}

TEST_CASE("a seed replays a run exactly; another seed does not") {
  auto trace = [](std::uint64_t seed) {
    pair_fixture f({.default_link = {5ms, 0.3}, .seed = seed});
    for (std::uint8_t i = 0; i < 200; ++i) f.ta.send(id(2), {i});
    f.clock.run();
    return f.b.log;
  };
  CHECK(trace(11) == trace(11));
  CHECK(trace(11) != trace(12));
}

TEST_CASE("a crashed node neither sends nor receives, in flight included") {
  pair_fixture f;
  f.ta.send(id(2), hello);  // in flight to b when b crashes
  f.tb.send(id(1), hello);  // in flight from b
  const auto crashed_at = f.clock.now();
  f.net.crash(id(2));
  CHECK_FALSE(f.net.alive(id(2)));
  CHECK_FALSE(f.tb.send(id(1), hello));
  CHECK(f.ta.send(id(2), hello));  // a has not noticed yet
  const auto b_events = f.b.log.size();
  f.clock.run();
  CHECK(f.b.log.size() == b_events);  // nothing reaches the dead node, not even link down
  CHECK(f.a.count("message") == 0);
  CHECK(f.net.stats().dropped == 3);
  // a notices after the configured detection delay.
  CHECK(f.a.log.back() == event_record{crashed_at + 30s, "down", id(2), {}});
  CHECK_FALSE(f.net.linked(id(1), id(2)));
  CHECK_FALSE(f.ta.send(id(2), hello));
  CHECK_FALSE(f.net.connect(id(1), id(2)));
}

TEST_CASE("a crash while connecting leaves the other end without a link") {
  sim::event_scheduler clock;
  sim::network net(clock);
  recorder a(clock), b(clock);
  net.add_node(id(1), a);
  net.add_node(id(2), b);
  net.connect(id(1), id(2));
  net.crash(id(2));
  clock.run();
  CHECK(a.log.empty());
  CHECK(b.log.empty());
  CHECK_FALSE(net.linked(id(1), id(2)));
}

TEST_CASE("disconnect reports link down at both ends and loses what is in flight") {
  pair_fixture f;
  f.ta.send(id(2), hello);
  CHECK(f.net.disconnect(id(1), id(2)));
  f.clock.run();
  CHECK(f.a.log.back().what == "down");
  CHECK(f.b.log.back().what == "down");
  CHECK(f.b.count("message") == 0);
  CHECK_FALSE(f.net.disconnect(id(1), id(2)));
}

TEST_CASE("a message from a closed link never arrives on its replacement") {
  pair_fixture f;
  f.net.set_link_profile(id(1), id(2), {1s, 0});
  f.ta.send(id(2), hello);
  f.net.disconnect(id(1), id(2));
  f.clock.run_for(1ms);
  f.net.connect(id(1), id(2));  // back up well before the old message was due
  f.clock.run();
  CHECK(f.b.count("message") == 0);
  CHECK(f.net.linked(id(1), id(2)));
}

TEST_CASE("a Node-ID joins only once") {
  sim::event_scheduler clock;
  sim::network net(clock);
  recorder a(clock);
  net.add_node(id(1), a);
  CHECK_THROWS_AS(net.add_node(id(1), a), std::invalid_argument);
}
