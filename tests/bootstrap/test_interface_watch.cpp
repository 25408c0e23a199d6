// lan_discovery follows the host's interfaces. In a network namespace of its
// own (a forked child, so the test process's namespace is untouched), with
// only a down loopback, discovery waits; a veth pair that comes up with
// addresses is joined within the watch's settle time, two members on its two
// ends find each other with no route at all, and the pair's removal leaves
// discovery waiting again. Needs CAP_SYS_ADMIN and ip(8); skipped otherwise.
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "bootstrap/interface_watch.hpp"
#include "bootstrap/lan_discovery.hpp"

using namespace p2psip::bootstrap;
namespace ip = boost::asio::ip;

namespace {

bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

p2psip::wire::node_id make_node(std::uint8_t fill) {
  p2psip::wire::node_id::bytes_type bytes{};
  bytes.fill(fill);
  return p2psip::wire::node_id(bytes);
}

lan_discovery_options options_for(std::uint8_t fill, const std::string& interface) {
  lan_discovery_options options;
  options.overlay_name = "office.example";
  options.self = make_node(fill);
  options.advertised_address = ip::address_v4::any();
  options.overlay_port = 6084;
  options.interface = interface;
  options.watch.settle = std::chrono::milliseconds(50);
  return options;
}

// The child's checks, as an exit status: 0 passed, 77 skipped, else the
// number of the step that failed.
int follow_interfaces_in_own_namespace() {
  if (::unshare(CLONE_NEWNET) != 0) return 77;
  boost::asio::io_context io;
  int found = 0;
  lan_discovery a(io.get_executor(), options_for(0xaa, ""), [&](auto&&...) { ++found; });
  lan_discovery b(io.get_executor(), options_for(0xbb, "p2pw1"), [&](auto&&...) { ++found; });
  a.start();
  b.start();
  if (a.status().state != "waiting" || !a.status().interfaces.empty()) return 1;
  if (std::system("ip link add p2pw0 type veth peer name p2pw1 && "
                  "ip addr add 10.99.0.1/24 dev p2pw0 && ip addr add 10.99.0.2/24 dev p2pw1 && "
                  "ip link set p2pw0 up && ip link set p2pw1 up") != 0) {
    return 77;
  }
  if (!run_until(io, [&] { return a.status().state == "running"; })) return 2;
  // Both ends are a's (no loopback); b runs on the one it was told to.
  if (a.status().interfaces != std::vector<std::string>{"p2pw0", "p2pw1"}) return 3;
  if (b.status().interfaces != std::vector<std::string>{"p2pw1"}) return 4;
  if (!run_until(io, [&] { return found >= 2; })) return 5;
  if (std::system("ip link delete p2pw0") != 0) return 6;
  if (!run_until(io, [&] { return a.status().state == "waiting"; })) return 7;
  if (b.status().state != "waiting" || !b.status().interfaces.empty()) return 8;
  return 0;
}

}  // namespace

TEST_CASE("discovery starts on an interface that comes up later and drops one that goes") {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(follow_interfaces_in_own_namespace());
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    WARN("skipped: no network namespace or ip(8) here");
    return;
  }
  INFO("the step that failed (see the child's checks): " << WEXITSTATUS(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("the watch's poll reports even without netlink events") {
  boost::asio::io_context io;
  int changes = 0;
  interface_watch watch(io.get_executor(), [&] { ++changes; },
                        {.settle = std::chrono::milliseconds(10),
                         .poll = std::chrono::milliseconds(20)});
  watch.start();
  CHECK(watch.netlink());
  CHECK(run_until(io, [&] { return changes >= 3; }));
  watch.stop();
  const int stopped_at = changes;
  io.run_for(std::chrono::milliseconds(100));
  CHECK(changes == stopped_at);
}
