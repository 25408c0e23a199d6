// p2psipd's process-wide log: the sip thread writes through it (sofia's log)
// while the overlay thread changes its level (log.set_level, SIGHUP). A race
// there shows under -Dsanitizer=thread, which runs this test too.
#include <catch2/catch.hpp>

#include <thread>

#include "runtime/logger.hpp"

using p2psip::runtime::log_level;
using p2psip::runtime::logs;

TEST_CASE("the level changes on one thread while another thread logs") {
  // Warnings are below both levels set here, so nothing is printed.
  std::thread sip([] {
    for (int i = 0; i < 2000; ++i) logs.write(log_level::warning, "from the sip thread");
  });
  for (int i = 0; i < 2000; ++i) {
    if (i % 2 == 0)
      logs.set_off();
    else
      logs.set(log_level::error);
  }
  sip.join();
  CHECK(logs.level() == log_level::error);
  CHECK_FALSE(logs.enabled(log_level::warning));
  logs.set(log_level::debug);
  CHECK(logs.enabled(log_level::debug));
  logs.set_off();
  CHECK_FALSE(logs.enabled(log_level::error));
}
