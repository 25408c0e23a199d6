#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "overlay/sim/event_scheduler.hpp"
#include "overlay/timer_group.hpp"

using namespace p2psip::overlay;
using namespace std::chrono_literals;

namespace {

// A service whose cancel() reports success but still runs the callback
// later, as a racing real timer might: the group must not act on it.
class late_service final : public timer_service {
 public:
  time_point now() const override { return {}; }
  timer_id schedule(duration, std::function<void()> callback) override {
    queued.push_back(std::move(callback));
    return timer_id{queued.size()};
  }
  bool cancel(timer_id) override { return true; }
  std::vector<std::function<void()>> queued;
};

}  // namespace

TEST_CASE("a group's timer runs once at its deadline") {
  sim::event_scheduler scheduler;
  timer_group timers(scheduler);
  std::vector<time_point> fired;
  REQUIRE(timers.schedule(5s, [&] { fired.push_back(timers.now()); }));
  CHECK(timers.pending() == 1);
  scheduler.run();
  CHECK(fired == std::vector{time_point{} + 5s});
  CHECK(timers.pending() == 0);
}

TEST_CASE("a cancelled timer never runs") {
  sim::event_scheduler scheduler;
  timer_group timers(scheduler);
  bool ran = false;
  const auto id = timers.schedule(1s, [&] { ran = true; });
  CHECK(timers.cancel(*id));
  CHECK_FALSE(timers.cancel(*id));
  scheduler.run();
  CHECK_FALSE(ran);
}

TEST_CASE("stop silences every pending timer and refuses new ones") {
  sim::event_scheduler scheduler;
  timer_group timers(scheduler);
  int ran = 0;
  for (int i = 1; i <= 3; ++i) timers.schedule(i * 1s, [&] { ++ran; });
  timers.stop();
  CHECK(timers.stopped());
  CHECK(scheduler.pending() == 0);  // cancelled at the service, not merely ignored
  CHECK_FALSE(timers.schedule(1s, [&] { ++ran; }));
  scheduler.run();
  CHECK(ran == 0);
}

TEST_CASE("a timer may stop its own group") {
  sim::event_scheduler scheduler;
  timer_group timers(scheduler);
  int later = 0;
  timers.schedule(1s, [&] { timers.stop(); });
  timers.schedule(2s, [&] { ++later; });
  scheduler.run();
  CHECK(later == 0);
}

TEST_CASE("destroying a group, even from its own timer, leaves nothing behind") {
  sim::event_scheduler scheduler;
  auto timers = std::make_unique<timer_group>(scheduler);
  int ran = 0;
  timers->schedule(1s, [&] { timers.reset(); });
  timers->schedule(2s, [&] { ++ran; });
  scheduler.run();
  CHECK_FALSE(timers);
  CHECK(ran == 0);

  auto other = std::make_unique<timer_group>(scheduler);
  other->schedule(1s, [&] { ++ran; });
  other.reset();
  CHECK(scheduler.run() == 0);
}

TEST_CASE("a stopped group ignores a callback the service failed to withdraw") {
  late_service service;
  timer_group timers(service);
  bool ran = false;
  timers.schedule(1s, [&] { ran = true; });
  timers.stop();
  for (auto& callback : service.queued) callback();
  CHECK_FALSE(ran);
}
