// Sends WATCHDOG=1 from the overlay's event loop at the interval systemd
// asked for. It must run on that loop: the point of the watchdog is that a
// stuck loop stops the pings and systemd restarts the daemon. The other
// threads are covered by `healthy`: while it says no (the sip thread has
// not taken a task for a while), the pings stop too.
#pragma once

#include <functional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/systemd_notifier.hpp"

namespace p2psip::daemon {

class watchdog_pinger {
 public:
  // `notifier` must outlive the pinger; no `healthy` means always healthy.
  watchdog_pinger(boost::asio::any_io_executor executor, systemd_notifier& notifier,
                  std::function<bool()> healthy = {});

  // Does nothing when systemd set no watchdog for this process.
  void start();
  void stop();

 private:
  void schedule();

  boost::asio::steady_timer timer_;
  systemd_notifier& notifier_;
  std::function<bool()> healthy_;
  bool running_ = false;
};

}  // namespace p2psip::daemon
