// p2psipd's log: everything goes to stderr, which journald captures, with a
// level prefix in the sd-daemon(3) style so journald assigns priorities.
// One process-wide instance, `logs`, since the link layer's sink and the
// control plane's log.set_level both reach it.
#pragma once

#include <string_view>

#include "daemon/daemon_config.hpp"
#include "link/link_log.hpp"

namespace p2psip::daemon {

class logger {
 public:
  bool enabled(log_level level) const noexcept { return !off_ && level >= level_; }
  void write(log_level level, std::string_view message) const;
  log_level level() const noexcept { return level_; }
  bool off() const noexcept { return off_; }
  void set(log_level level) noexcept {
    level_ = level;
    off_ = false;
  }
  void set_off() noexcept { off_ = true; }

 private:
  log_level level_ = log_level::info;
  bool off_ = false;
};

extern logger logs;

// The link layer's log lines, through `logs`.
link::log_sink link_log_sink();

}  // namespace p2psip::daemon
