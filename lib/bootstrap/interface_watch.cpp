#include "bootstrap/interface_watch.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace p2psip::bootstrap {

interface_watch::interface_watch(boost::asio::any_io_executor executor,
                                 std::function<void()> on_change, interface_watch_options options)
    : on_change_(std::move(on_change)),
      options_(options),
      netlink_(executor),
      settle_timer_(executor),
      poll_timer_(executor) {}

interface_watch::~interface_watch() {
  stop();
  alive_.reset();
}

void interface_watch::start() {
  if (running_) return;
  running_ = true;
  open_netlink();
  wait_for_netlink();
  schedule_poll();
}

void interface_watch::stop() {
  running_ = false;
  settling_ = false;
  boost::system::error_code ignored;
  settle_timer_.cancel();
  poll_timer_.cancel();
  netlink_.close(ignored);
}

void interface_watch::open_netlink() {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    ::close(fd);
    return;
  }
  boost::system::error_code ec;
  netlink_.assign(fd, ec);
  if (ec) ::close(fd);
}

void interface_watch::wait_for_netlink() {
  if (!netlink_.is_open()) return;
  netlink_.async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired() || !running_ || ec) return;
        // The messages only say that something changed; the owner rereads
        // the interfaces, so their content (and an ENOBUFS overrun) is moot.
        std::array<char, 8192> buffer{};
        for (int drained = 0; drained < 64; ++drained) {
          if (::recv(netlink_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT) < 0 &&
              (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
          }
        }
        changed_soon();
        wait_for_netlink();
      });
}

void interface_watch::changed_soon() {
  if (settling_) return;
  settling_ = true;
  settle_timer_.expires_after(options_.settle);
  settle_timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired() || !running_ || ec) return;
        settling_ = false;
        if (on_change_) on_change_();
      });
}

void interface_watch::schedule_poll() {
  poll_timer_.expires_after(options_.poll);
  poll_timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired() || !running_ || ec) return;
        if (on_change_) on_change_();
        schedule_poll();
      });
}

}  // namespace p2psip::bootstrap
