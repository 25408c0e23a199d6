// Tells its owner when the host's network interfaces or their IPv4
// addresses may have changed: a laptop booting before its Wi-Fi, a cable
// plugged in, a DHCP lease. It listens to rtnetlink (link and IPv4 address
// groups) and lets a burst of messages settle before calling back once; a
// slow poll backs it up where netlink is unavailable or drops messages.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace p2psip::bootstrap {

struct interface_watch_options {
  std::chrono::milliseconds settle{300};
  std::chrono::milliseconds poll{30000};
};

class interface_watch {
 public:
  interface_watch(boost::asio::any_io_executor executor, std::function<void()> on_change,
                  interface_watch_options options = {});
  ~interface_watch();
  interface_watch(const interface_watch&) = delete;
  interface_watch& operator=(const interface_watch&) = delete;

  void start();
  void stop();
  // Whether rtnetlink is heard (else only the poll runs).
  bool netlink() const noexcept { return netlink_.is_open(); }

 private:
  void open_netlink();
  void wait_for_netlink();
  void changed_soon();
  void schedule_poll();

  std::function<void()> on_change_;
  interface_watch_options options_;
  boost::asio::posix::stream_descriptor netlink_;
  boost::asio::steady_timer settle_timer_;
  boost::asio::steady_timer poll_timer_;
  bool settling_ = false;
  bool running_ = false;
  // Handlers still queued after destruction see this expire and do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::bootstrap
