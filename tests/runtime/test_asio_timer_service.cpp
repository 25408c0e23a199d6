// asio_timer_service keeps timer_service's promises on a real io_context:
// callbacks run once, in deadline order, and a cancelled timer never runs,
// even when its deadline has passed and its completion is already queued.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "runtime/asio_timer_service.hpp"

using namespace std::chrono_literals;
using p2psip::runtime::asio_timer_service;

TEST_CASE("timers fire once, in deadline order") {
  boost::asio::io_context io;
  asio_timer_service timers(io);
  std::vector<int> fired;
  timers.schedule(30ms, [&] { fired.push_back(3); });
  timers.schedule(10ms, [&] { fired.push_back(1); });
  timers.schedule(-5ms, [&] { fired.push_back(0); });  // negative: at once
  timers.schedule(20ms, [&] { fired.push_back(2); });
  CHECK(timers.pending() == 4);
  io.run();
  CHECK(fired == std::vector<int>{0, 1, 2, 3});
  CHECK(timers.pending() == 0);
}

TEST_CASE("a cancelled timer never runs, even when already due") {
  boost::asio::io_context io;
  asio_timer_service timers(io);
  bool ran = false;
  const auto id = timers.schedule(1ms, [&] { ran = true; });
  std::this_thread::sleep_for(5ms);  // due, but the loop has not run it yet
  CHECK(timers.cancel(id));
  CHECK_FALSE(timers.cancel(id));  // the second cancel finds nothing
  io.run();
  CHECK_FALSE(ran);
}

TEST_CASE("a callback may cancel a timer whose completion is queued behind it") {
  boost::asio::io_context io;
  asio_timer_service timers(io);
  bool second_ran = false;
  p2psip::overlay::timer_id second{};
  timers.schedule(1ms, [&] { CHECK(timers.cancel(second)); });
  second = timers.schedule(1ms, [&] { second_ran = true; });
  std::this_thread::sleep_for(5ms);  // both completions are ready together
  io.run();
  CHECK_FALSE(second_ran);
}

TEST_CASE("cancel after the callback ran is false; callbacks may schedule more") {
  boost::asio::io_context io;
  asio_timer_service timers(io);
  int runs = 0;
  const auto id = timers.schedule(0ms, [&] {
    ++runs;
    timers.schedule(1ms, [&] { ++runs; });
  });
  io.run();
  CHECK(runs == 2);
  CHECK_FALSE(timers.cancel(id));
  const auto before = std::chrono::steady_clock::now();
  CHECK(timers.now() >= before);  // the monotonic clock, not an epoch of its own
}

TEST_CASE("destroying the service silences its pending timers") {
  boost::asio::io_context io;
  bool ran = false;
  {
    asio_timer_service timers(io);
    timers.schedule(1ms, [&] { ran = true; });
  }
  io.run();
  CHECK_FALSE(ran);
}
