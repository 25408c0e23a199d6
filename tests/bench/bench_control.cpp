// Control-plane figures against running p2psipd daemons (driven by
// bench_daemons.sh, see tests/bench/README.md):
//
//   bench_control rate SOCKET [SECONDS=10]
//     node.status round trips, one after the other, over one persistent
//     connection (one JSON object per line): calls per second, p50/p99/max.
//   bench_control join START_EPOCH_NS TIMEOUT_S SOCKET...
//     polls node.status on every socket (one persistent connection each,
//     reconnecting while a daemon is still starting) every 50 ms until all
//     say "joined"; prints when each did, in seconds since START_EPOCH_NS
//     (`date +%s%N` taken just before the first daemon was started).
//     Exits 1 if some did not join within TIMEOUT_S.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "control/control_client.hpp"

using namespace std::chrono_literals;
using p2psip::control::control_client;
using p2psip::control::rpc_response;
using p2psip::control::transport_failure;

namespace {

constexpr auto call_timeout = 5s;

// The node's state from a node.status answer, or empty.
std::string status_state(control_client& client, std::chrono::milliseconds timeout) {
  auto answer = client.call("node.status", {}, timeout);
  auto* response = std::get_if<rpc_response>(&answer);
  if (!response || response->error || !response->result) return {};
  const auto* state = response->result->if_contains("state");
  return state && state->is_string() ? std::string(state->as_string()) : std::string();
}

int usage() {
  std::fprintf(stderr,
               "usage: bench_control rate SOCKET [SECONDS]\n"
               "       bench_control join START_EPOCH_NS TIMEOUT_S SOCKET...\n");
  return 2;
}

int run_rate(const std::string& socket, double seconds) {
  auto connected = control_client::connect(socket);
  if (auto* failure = std::get_if<transport_failure>(&connected)) {
    std::fprintf(stderr, "%s\n", failure->reason.c_str());
    return 1;
  }
  auto& client = std::get<control_client>(connected);
  for (int i = 0; i < 200; ++i) {  // warm-up
    if (status_state(client, call_timeout).empty()) {
      std::fprintf(stderr, "node.status failed during warm-up\n");
      return 1;
    }
  }
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 20);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  auto now = start;
  while (now < end) {
    const auto before = now;
    if (status_state(client, call_timeout).empty()) {
      std::fprintf(stderr, "node.status failed after %zu calls\n", latencies_us.size());
      return 1;
    }
    now = std::chrono::steady_clock::now();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(now - before).count());
  }
  const double elapsed = std::chrono::duration<double>(now - start).count();
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto at = [&](double q) {
    return latencies_us[std::min(latencies_us.size() - 1,
                                 static_cast<std::size_t>(q * static_cast<double>(latencies_us.size())))];
  };
  std::printf("node.status round trips: %zu in %.2f s = %.0f calls/s; latency p50 %.1f us, p99 %.1f us, "
              "max %.1f us\n",
              latencies_us.size(), elapsed, static_cast<double>(latencies_us.size()) / elapsed,
              at(0.50), at(0.99), latencies_us.back());
  return 0;
}

int run_join(long long start_epoch_ns, double timeout_s, const std::vector<std::string>& sockets) {
  const auto start = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(start_epoch_ns)));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_s));
  std::vector<std::optional<control_client>> clients(sockets.size());
  std::vector<std::optional<double>> joined_at(sockets.size());
  std::size_t joined = 0;
  while (joined < sockets.size() && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      if (joined_at[i]) continue;
      if (!clients[i]) {
        auto connected = control_client::connect(sockets[i]);
        if (auto* client = std::get_if<control_client>(&connected)) clients[i] = std::move(*client);
        if (!clients[i]) continue;
      }
      const std::string state = status_state(*clients[i], 1s);
      if (state.empty()) {
        clients[i].reset();  // reconnect next round
      } else if (state == "joined") {
        joined_at[i] =
            std::chrono::duration<double>(std::chrono::system_clock::now() - start).count();
        ++joined;
      }
    }
    if (joined < sockets.size()) std::this_thread::sleep_for(50ms);
  }
  double last = 0;
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    if (joined_at[i]) {
      std::printf("node %zu joined at %.3f s\n", i, *joined_at[i]);
      last = std::max(last, *joined_at[i]);
    } else {
      std::printf("node %zu not joined\n", i);
    }
  }
  if (joined < sockets.size()) {
    std::printf("TIMEOUT: %zu of %zu joined within %.0f s\n", joined, sockets.size(), timeout_s);
    return 1;
  }
  std::printf("all %zu joined %.3f s after the first daemon was started\n", sockets.size(), last);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "rate") {
    return run_rate(args[1], args.size() > 2 ? std::atof(args[2].c_str()) : 10.0);
  }
  if (args.size() >= 4 && args[0] == "join") {
    return run_join(std::atoll(args[1].c_str()), std::atof(args[2].c_str()),
                    std::vector<std::string>(args.begin() + 3, args.end()));
  }
  return usage();
}
