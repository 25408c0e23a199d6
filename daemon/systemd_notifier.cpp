#include "daemon/systemd_notifier.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <systemd/sd-daemon.h>

namespace p2psip::daemon {
namespace {

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

systemd_notifier::systemd_notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // Checks WATCHDOG_PID too: a child that inherited the variables must not ping.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_timeout_ = std::chrono::microseconds(usec);
  }
}

std::optional<std::chrono::microseconds> systemd_notifier::watchdog_ping_interval() const noexcept {
  if (!watchdog_timeout_) return std::nullopt;
  return *watchdog_timeout_ / 2;
}

bool systemd_notifier::send(const std::string& assignments) {
  if (!enabled_) return false;
  // unset_environment=0: the daemon notifies many times over its life.
  return sd_notify(0, assignments.c_str()) > 0;
}

bool systemd_notifier::ready(std::string_view status) {
  return send("READY=1\nSTATUS=" + one_line(status));
}

bool systemd_notifier::status(std::string_view status) {
  return send("STATUS=" + one_line(status));
}

bool systemd_notifier::watchdog() { return watchdog_timeout_.has_value() && send("WATCHDOG=1"); }

bool systemd_notifier::reloading() { return send("RELOADING=1"); }

bool systemd_notifier::stopping() { return send("STOPPING=1"); }

std::string overlay_status_text(std::string_view join_state, std::size_t peers) {
  return one_line(join_state) + ", " + std::to_string(peers) + (peers == 1 ? " peer" : " peers");
}

wire::basic_result<std::optional<int>, std::string> control_socket_from_systemd() {
  char** names = nullptr;
  const int count = sd_listen_fds_with_names(1, &names);
  std::vector<std::string> fd_names;
  if (names != nullptr) {
    for (char** n = names; *n != nullptr; ++n) {
      fd_names.emplace_back(*n);
      std::free(*n);
    }
    std::free(names);
  }
  if (count < 0) return std::string("cannot read the sockets systemd passed (LISTEN_FDS)");
  if (count == 0) return std::optional<int>{};

  int chosen = -1;
  for (int i = 0; i < count; ++i) {
    if (i < static_cast<int>(fd_names.size()) && fd_names[i] == "control") chosen = i;
  }
  if (chosen < 0 && count == 1) chosen = 0;
  if (chosen < 0) {
    return "systemd passed " + std::to_string(count) + " sockets and none is named 'control'";
  }
  const int fd = SD_LISTEN_FDS_START + chosen;
  if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) {
    return "the socket systemd passed (fd " + std::to_string(fd) +
           ") is not a listening AF_UNIX stream socket";
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return std::optional<int>{fd};
}

}  // namespace p2psip::daemon
