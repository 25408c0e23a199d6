// The process's log (p2psipd's): everything goes to stderr, which journald captures, with a
// level prefix in the sd-daemon(3) style so journald assigns priorities.
// One process-wide instance, `logs`, since the link layer's sink and the
// control plane's log.set_level both reach it.
#pragma once

#include <atomic>
#include <optional>
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

// The link layer's log lines, through `logs`.
link::log_sink link_log_sink();

}  // namespace p2psip::runtime
