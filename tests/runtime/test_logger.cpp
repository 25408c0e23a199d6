// p2psipd's process-wide log: the sip thread writes through it (sofia's log)
// while the overlay thread changes its level (log.set_level, SIGHUP). A race
// there shows under -Dsanitizer=thread, which runs this test too.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "runtime/logger.hpp"
#include "scoped_files.hpp"

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

TEST_CASE("a line for journald carries its priority; elsewhere it starts with the time") {
  using p2psip::runtime::format_log_line;
  const auto when = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 30) +
                    std::chrono::milliseconds(42);
  CHECK(format_log_line(log_level::warning, "disk full", true, when) == "<4>warning: disk full\n");
  const auto plain = format_log_line(log_level::notice, "state joined", false, when);
  // "YYYY-MM-DD HH:MM:SS.mmm notice: state joined", in local time.
  REQUIRE(plain.size() == 24 + std::string("notice: state joined\n").size());
  CHECK(plain.substr(19, 5) == ".042 ");
  CHECK(plain[4] == '-');
  CHECK(plain[10] == ' ');
  CHECK(plain.substr(24) == "notice: state joined\n");
  CHECK(plain.find('<') == std::string::npos);
}

TEST_CASE("stderr is journald's only when $JOURNAL_STREAM names it") {
  using p2psip::runtime::stderr_is_journal;
  p2psip::test::scoped_env unset("JOURNAL_STREAM", std::nullopt);
  CHECK_FALSE(stderr_is_journal());
  struct stat st{};
  REQUIRE(::fstat(2, &st) == 0);
  const auto mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  {
    p2psip::test::scoped_env set("JOURNAL_STREAM", mine);
    CHECK(stderr_is_journal());
  }
  p2psip::test::scoped_env other("JOURNAL_STREAM", "1:2");
  CHECK_FALSE(stderr_is_journal());
}
