#include "daemon/watchdog_pinger.hpp"

namespace p2psip::daemon {

watchdog_pinger::watchdog_pinger(boost::asio::any_io_executor executor, systemd_notifier& notifier,
                                 std::function<bool()> healthy)
    : timer_(std::move(executor)), notifier_(notifier), healthy_(std::move(healthy)) {}

void watchdog_pinger::start() {
  if (running_ || !notifier_.watchdog_ping_interval()) return;
  running_ = true;
  notifier_.watchdog();
  schedule();
}

void watchdog_pinger::stop() {
  running_ = false;
  timer_.cancel();
}

void watchdog_pinger::schedule() {
  timer_.expires_after(*notifier_.watchdog_ping_interval());
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    if (!healthy_ || healthy_()) notifier_.watchdog();
    schedule();
  });
}

}  // namespace p2psip::daemon
