// The process's log (p2psipd's): everything goes to stderr. When stderr is
// journald's stream, lines carry an sd-daemon(3) level prefix so journald
// assigns priorities and adds the time; anywhere else (a terminal, a file)
// they start with the local time instead.
// One process-wide instance, `logs`, since the link layer's sink and the
// control plane's log.set_level both reach it.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "link/link_log.hpp"

namespace p2psip::runtime {

enum class log_level { debug, info, notice, warning, error };

std::string_view to_string(log_level level) noexcept;
std::optional<log_level> parse_log_level(std::string_view text) noexcept;

// The sip thread logs too (sofia's log) while log.set_level and SIGHUP change
// the level on the overlay thread: hence atomics, relaxed (only the values).
class logger {
 public:
  bool enabled(log_level level) const noexcept { return !off() && level >= this->level(); }
  void write(log_level level, std::string_view message) const;
  log_level level() const noexcept { return level_.load(std::memory_order_relaxed); }
  bool off() const noexcept { return off_.load(std::memory_order_relaxed); }
  void set(log_level level) noexcept {
    level_.store(level, std::memory_order_relaxed);
    off_.store(false, std::memory_order_relaxed);
  }
  void set_off() noexcept { off_.store(true, std::memory_order_relaxed); }

 private:
  std::atomic<log_level> level_{log_level::info};
  std::atomic<bool> off_{false};
};

extern logger logs;

// One line as written: "<6>info: text" for journald, else
// "2026-12-06 21:20:01.123 info: text" in local time.
std::string format_log_line(log_level level, std::string_view message, bool to_journal,
                            std::chrono::system_clock::time_point when);
// Whether stderr is the stream systemd connected to journald ($JOURNAL_STREAM).
bool stderr_is_journal() noexcept;

// The link layer's log lines, through `logs`.
link::log_sink link_log_sink();

}  // namespace p2psip::runtime
