#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "overlay/sim/event_scheduler.hpp"

using namespace p2psip::overlay;
using namespace std::chrono_literals;

TEST_CASE("events run in time order, ties in the order scheduled") {
  sim::event_scheduler s;
  std::vector<int> order;
  s.schedule(3s, [&] { order.push_back(3); });
  s.schedule(1s, [&] { order.push_back(1); });
  s.schedule(2s, [&] { order.push_back(20); });
  s.schedule(2s, [&] { order.push_back(21); });
  s.schedule(2s, [&] { order.push_back(22); });
  CHECK(s.pending() == 5);
  CHECK(s.run() == 5);
  CHECK(order == std::vector{1, 20, 21, 22, 3});
  CHECK(s.now() == time_point{} + 3s);
  CHECK(s.executed() == 5);
}

TEST_CASE("time advances to each event and to the end of run_until") {
  sim::event_scheduler s;
  std::vector<time_point> seen;
  s.schedule(10ms, [&] { seen.push_back(s.now()); });
  s.schedule(30ms, [&] { seen.push_back(s.now()); });
  CHECK(s.run_until(time_point{} + 20ms) == 1);
  CHECK(s.now() == time_point{} + 20ms);
  CHECK(s.pending() == 1);
  CHECK(s.run_for(5ms) == 0);
  CHECK(s.now() == time_point{} + 25ms);
  CHECK(s.run_for(5ms) == 1);  // an event exactly at the deadline runs
  CHECK(seen == std::vector{time_point{} + 10ms, time_point{} + 30ms});
}

TEST_CASE("callbacks schedule further events; time never runs backwards") {
  sim::event_scheduler s;
  std::vector<time_point> seen;
  s.schedule(1s, [&] {
    s.schedule(-5s, [&] { seen.push_back(s.now()); });
    s.schedule(0s, [&] { seen.push_back(s.now()); });
    s.schedule(1s, [&] { seen.push_back(s.now()); });
  });
  s.run();
  CHECK(seen == std::vector{time_point{} + 1s, time_point{} + 1s, time_point{} + 2s});
}

TEST_CASE("cancel withdraws a pending event exactly once") {
  sim::event_scheduler s;
  bool ran = false;
  const auto id = s.schedule(1s, [&] { ran = true; });
  CHECK(s.cancel(id));
  CHECK_FALSE(s.cancel(id));
  CHECK(s.pending() == 0);
  CHECK(s.run() == 0);
  CHECK_FALSE(ran);
}

TEST_CASE("a stale id cannot cancel the event that reused its slot") {
  sim::event_scheduler s;
  const auto first = s.schedule(1s, [] {});
  s.run();
  CHECK_FALSE(s.cancel(first));  // already ran
  bool second_ran = false;
  s.schedule(1s, [&] { second_ran = true; });
  CHECK_FALSE(s.cancel(first));
  s.run();
  CHECK(second_ran);
}

TEST_CASE("a callback may cancel an event due at the same instant") {
  sim::event_scheduler s;
  bool ran = false;
  timer_id victim{};
  s.schedule(1s, [&] { s.cancel(victim); });
  victim = s.schedule(1s, [&] { ran = true; });
  s.run();
  CHECK_FALSE(ran);
}

TEST_CASE("a million interleaved events and cancellations all settle") {
  sim::event_scheduler s;
  std::mt19937_64 random(42);
  std::uint64_t ran = 0;
  std::vector<timer_id> ids;
  for (int i = 0; i < 1'000'000; ++i) {
    ids.push_back(s.schedule(std::chrono::microseconds(random() % 1'000'000), [&] { ++ran; }));
  }
  std::size_t cancelled = 0;
  for (std::size_t i = 0; i < ids.size(); i += 3) cancelled += s.cancel(ids[i]) ? 1 : 0;
  CHECK(s.run() == ids.size() - cancelled);
  CHECK(ran == ids.size() - cancelled);
  CHECK(s.pending() == 0);
}

TEST_CASE("the same script gives the same run") {
  auto trace = [](std::uint64_t seed) {
    sim::event_scheduler s;
    std::mt19937_64 random(seed);
    std::vector<int> order;
    for (int i = 0; i < 1000; ++i) {
      s.schedule(std::chrono::milliseconds(random() % 50), [&order, i] { order.push_back(i); });
    }
    s.run();
    return order;
  };
  CHECK(trace(7) == trace(7));
  CHECK(trace(7) != trace(8));
}
