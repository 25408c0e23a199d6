// systemd_notifier: the exact datagrams sd_notify sends to a NOTIFY_SOCKET
// the test binds itself, the watchdog interval and pinger, and the control
// socket handed over by socket activation.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "daemon/systemd_notifier.hpp"
#include "daemon/watchdog_pinger.hpp"
#include "scoped_files.hpp"

using namespace p2psip::daemon;
using p2psip::test::scoped_env;
using p2psip::test::temp_dir;

namespace {

class unix_socket {
 public:
  explicit unix_socket(int type) : fd_(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
  }
  ~unix_socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  unix_socket(const unix_socket&) = delete;
  unix_socket& operator=(const unix_socket&) = delete;
  int fd() const noexcept { return fd_; }

  void bind_to(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof address.sun_path);
    std::memcpy(address.sun_path, path.c_str(), path.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }

 private:
  int fd_;
};

// A NOTIFY_SOCKET of our own, as systemd would provide it.
class fake_systemd {
 public:
  fake_systemd()
      : socket_(SOCK_DGRAM),
        path_((dir_.path() / "notify").string()),
        env_("NOTIFY_SOCKET", path_) {
    socket_.bind_to(path_);
    timeval timeout{2, 0};  // a missing datagram fails the test, not hangs it
    ::setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  std::string next_datagram() {
    char buffer[4096];
    const ssize_t n = ::recv(socket_.fd(), buffer, sizeof buffer, 0);
    return n < 0 ? std::string("<nothing>") : std::string(buffer, static_cast<std::size_t>(n));
  }

  // Consumes one datagram, if one is waiting.
  bool take_pending() {
    char buffer[16];
    return ::recv(socket_.fd(), buffer, sizeof buffer, MSG_DONTWAIT) >= 0;
  }

 private:
  temp_dir dir_;
  unix_socket socket_;
  std::string path_;
  scoped_env env_;
};

}  // namespace

TEST_CASE("each notification is one datagram with exactly its assignments") {
  fake_systemd systemd;
  scoped_env no_watchdog("WATCHDOG_USEC", std::nullopt);
  systemd_notifier notifier;
  REQUIRE(notifier.enabled());

  CHECK(notifier.ready(overlay_status_text("joined", 3)));
  CHECK(systemd.next_datagram() == "READY=1\nSTATUS=joined, 3 peers");
  CHECK(notifier.status(overlay_status_text("joining", 1)));
  CHECK(systemd.next_datagram() == "STATUS=joining, 1 peer");
  CHECK(notifier.reloading());
  CHECK(systemd.next_datagram() == "RELOADING=1");
  CHECK(notifier.stopping());
  CHECK(systemd.next_datagram() == "STOPPING=1");
  // A newline in a status would start a new assignment (e.g. a forged READY=1).
  CHECK(notifier.status("bad\nREADY=1"));
  CHECK(systemd.next_datagram() == "STATUS=bad READY=1");
  // No watchdog configured: no ping.
  CHECK_FALSE(notifier.watchdog());
  CHECK_FALSE(systemd.take_pending());
}

TEST_CASE("without NOTIFY_SOCKET every call is a harmless no-op") {
  scoped_env unset("NOTIFY_SOCKET", std::nullopt);
  systemd_notifier notifier;
  CHECK_FALSE(notifier.enabled());
  CHECK_FALSE(notifier.ready("joined"));
  CHECK_FALSE(notifier.status("joined"));
  CHECK_FALSE(notifier.watchdog());
  CHECK_FALSE(notifier.reloading());
  CHECK_FALSE(notifier.stopping());
  CHECK_FALSE(notifier.watchdog_ping_interval());
}

TEST_CASE("the watchdog interval comes from WATCHDOG_USEC for this process only") {
  fake_systemd systemd;
  scoped_env usec("WATCHDOG_USEC", "30000000");
  {
    scoped_env pid("WATCHDOG_PID", std::to_string(::getpid()));
    systemd_notifier notifier;
    CHECK(notifier.watchdog_timeout() == std::chrono::seconds(30));
    CHECK(notifier.watchdog_ping_interval() == std::chrono::seconds(15));
    CHECK(notifier.watchdog());
    CHECK(systemd.next_datagram() == "WATCHDOG=1");
  }
  {
    // Inherited by a child: not ours to ping.
    scoped_env pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
    systemd_notifier notifier;
    CHECK_FALSE(notifier.watchdog_timeout());
    CHECK_FALSE(notifier.watchdog());
  }
}

TEST_CASE("the pinger sends WATCHDOG=1 from the event loop at half the timeout") {
  fake_systemd systemd;
  scoped_env usec("WATCHDOG_USEC", "200000");
  scoped_env pid("WATCHDOG_PID", std::to_string(::getpid()));
  systemd_notifier notifier;
  boost::asio::io_context loop;
  watchdog_pinger pinger(loop.get_executor(), notifier);
  pinger.start();
  CHECK(systemd.next_datagram() == "WATCHDOG=1");  // at once, before the first interval
  // Then every 100 ms; a loaded machine may be late, so allow seconds for two.
  int pings = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pings < 2 && std::chrono::steady_clock::now() < deadline) {
    loop.run_for(std::chrono::milliseconds(20));
    while (systemd.take_pending()) ++pings;
  }
  CHECK(pings >= 2);
  pinger.stop();
  loop.run();  // lets the cancelled wait finish
  CHECK_FALSE(systemd.take_pending());
}

TEST_CASE("the pinger stops pinging while another thread is unhealthy, and resumes after") {
  fake_systemd systemd;
  scoped_env usec("WATCHDOG_USEC", "200000");
  scoped_env pid("WATCHDOG_PID", std::to_string(::getpid()));
  systemd_notifier notifier;
  boost::asio::io_context loop;
  bool healthy = true;
  watchdog_pinger pinger(loop.get_executor(), notifier, [&] { return healthy; });
  pinger.start();
  CHECK(systemd.next_datagram() == "WATCHDOG=1");
  healthy = false;
  // Several intervals pass (100 ms each) without a single ping.
  loop.run_for(std::chrono::milliseconds(450));
  CHECK_FALSE(systemd.take_pending());
  healthy = true;
  int pings = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pings < 1 && std::chrono::steady_clock::now() < deadline) {
    loop.run_for(std::chrono::milliseconds(20));
    while (systemd.take_pending()) ++pings;
  }
  CHECK(pings >= 1);
  pinger.stop();
  loop.run();
}

TEST_CASE("socket activation hands over the control socket") {
  SECTION("not socket-activated") {
    scoped_env fds("LISTEN_FDS", std::nullopt);
    auto fd = control_socket_from_systemd();
    REQUIRE(fd);
    CHECK_FALSE(*fd);
  }

  temp_dir dir;
  // Whatever the test runner left on fd 3 is put back afterwards.
  const int saved = ::fcntl(3, F_DUPFD_CLOEXEC, 10);
  scoped_env pid("LISTEN_PID", std::to_string(::getpid()));
  scoped_env fds("LISTEN_FDS", "1");
  scoped_env names("LISTEN_FDNAMES", "control");

  SECTION("a listening stream socket named control") {
    unix_socket listener(SOCK_STREAM);
    listener.bind_to((dir.path() / "control.sock").string());
    REQUIRE(::listen(listener.fd(), 4) == 0);
    REQUIRE(::dup2(listener.fd(), 3) == 3);
    auto fd = control_socket_from_systemd();
    REQUIRE(fd);
    CHECK(*fd == 3);
    CHECK((::fcntl(3, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(::getenv("LISTEN_FDS") == nullptr);  // not passed on to children
  }
  SECTION("anything else is refused") {
    unix_socket datagram(SOCK_DGRAM);
    REQUIRE(::dup2(datagram.fd(), 3) == 3);
    auto fd = control_socket_from_systemd();
    REQUIRE_FALSE(fd);
    CHECK(fd.error() ==
          "the socket systemd passed (fd 3) is not a listening AF_UNIX stream socket");
  }

  ::close(3);
  if (saved >= 0) {
    ::dup2(saved, 3);
    ::close(saved);
  }
}
