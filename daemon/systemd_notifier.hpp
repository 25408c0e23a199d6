// The daemon's side of Type=notify (sd_notify(3)) and of socket activation
// (sd_listen_fds(3)). Every call is a no-op when the daemon does not run
// under systemd (no NOTIFY_SOCKET), so main() never has to ask first.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "wire/basic_result.hpp"

namespace p2psip::daemon {

class systemd_notifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID once, at construction.
  systemd_notifier();

  bool enabled() const noexcept { return enabled_; }
  // The WatchdogSec= timeout, if systemd set one for this very process.
  std::optional<std::chrono::microseconds> watchdog_timeout() const noexcept {
    return watchdog_timeout_;
  }
  // How often to send WATCHDOG=1: half the timeout, as sd_watchdog_enabled(3)
  // recommends, so one late tick of the event loop is not fatal.
  std::optional<std::chrono::microseconds> watchdog_ping_interval() const noexcept;

  // Each returns whether systemd was told (false without NOTIFY_SOCKET).
  // Status texts go on one line: newlines would start new assignments.
  bool ready(std::string_view status);   // READY=1 + STATUS=: startup or reload done
  bool status(std::string_view status);  // STATUS=
  bool watchdog();                       // WATCHDOG=1, from the event loop
  bool reloading();                      // RELOADING=1, on SIGHUP before rereading
  bool stopping();                       // STOPPING=1, on SIGTERM before leaving

 private:
  bool send(const std::string& assignments);

  bool enabled_ = false;
  std::optional<std::chrono::microseconds> watchdog_timeout_;
};

// The STATUS= text for `systemctl status`: "<state>, <n> peer(s)".
std::string overlay_status_text(std::string_view join_state, std::size_t peers);

// The listening control socket from p2psipd.socket: nullopt when not socket
// activated; an error when systemd passed something other than one listening
// AF_UNIX stream socket (named "control" via FileDescriptorName=, or the only
// one). The fd is made close-on-exec; the LISTEN_* variables are unset so no
// child inherits them.
wire::basic_result<std::optional<int>, std::string> control_socket_from_systemd();

}  // namespace p2psip::daemon
