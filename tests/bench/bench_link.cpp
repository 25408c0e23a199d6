// Link-layer figures on loopback: framed messages per second over one TLS
// link (one direction, every frame ACKed), and TLS handshakes per second,
// both through the connection table over TCP and as bare in-memory sessions.
// Usage: bench_link [messages] [handshakes]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "../link/test_pki.hpp"
#include "link/connection_table.hpp"

using namespace p2psip::link;
using p2psip::wire::node_id;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using bench_clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t message_size = 200;
const node_id receiver_id = *node_id::from_hex("0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a");
const node_id sender_id = *node_id::from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
const tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);

double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

// Spins until `done` or the deadline; false on timeout.
template <class Predicate>
bool wait_for(Predicate done, std::chrono::seconds timeout) {
  const auto deadline = bench_clock::now() + timeout;
  while (!done()) {
    if (bench_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// One node on its own io_context thread.
struct node {
  node(const test::ca_overlay& p, const node_id& id, link_callbacks callbacks)
      : credentials(test::make_credentials(p.ca, id)),
        context(credentials, p.trust.authenticator, link_config{}, stderr_log_sink()),
        table(io, context, id, link_config{}, std::move(callbacks)) {}
  void run() {
    thread = std::thread([this] { io.run(); });
  }
  void stop() {
    asio::post(io, [this] { table.close_all(); });
    work.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    io.stop();
    thread.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  tls_credentials credentials;
  tls_context context;
  connection_table table;
  std::thread thread;
};

struct throughput {
  double seconds = 0;
  std::uint64_t acks = 0;
  std::uint64_t refused = 0;
  double srtt_us = 0;
};

std::optional<throughput> measure_messages(const test::ca_overlay& p, std::uint64_t count) {
  std::atomic<std::uint64_t> received{0};
  std::atomic<int> ups{0};
  link_callbacks receiver_events;
  receiver_events.on_link_up = [&](const node_id&) { ++ups; };
  receiver_events.on_message = [&](const node_id&, std::vector<std::uint8_t>) { ++received; };
  link_callbacks sender_events;
  sender_events.on_link_up = [&](const node_id&) { ++ups; };
  node receiver(p, receiver_id, receiver_events);
  node sender(p, sender_id, sender_events);
  const auto at = receiver.table.listen(loopback);
  receiver.run();
  sender.run();
  asio::post(sender.io, [&] { sender.table.connect(receiver_id, at); });
  if (!wait_for([&] { return ups == 2; }, std::chrono::seconds(10))) return std::nullopt;

  // The sender fills the link until back-pressure, then yields to its I/O.
  std::uint64_t sent = 0;
  throughput out;
  const std::vector<std::uint8_t> message(message_size, 0x5a);
  std::function<void()> feed = [&] {
    while (sent < count) {
      const send_result result = sender.table.send(receiver_id, message);
      if (result == send_result::queue_full) {
        ++out.refused;
        break;
      }
      if (result != send_result::queued) {
        std::fprintf(stderr, "send failed: %s\n", to_string(result));
        std::exit(1);
      }
      ++sent;
    }
    if (sent < count) asio::post(sender.io, feed);
  };
  const auto start = bench_clock::now();
  asio::post(sender.io, feed);
  const bool done = wait_for([&] { return received == count; }, std::chrono::seconds(120));
  out.seconds = seconds_since(start);
  std::atomic<bool> have_stats{false};
  asio::post(sender.io, [&] {
    if (auto stats = sender.table.stats(receiver_id)) {
      out.acks = stats->acks_in;
      out.srtt_us = std::chrono::duration<double, std::micro>(stats->smoothed_rtt.value_or(
                                                                  link_duration::zero()))
                        .count();
    }
    have_stats = true;
  });
  wait_for([&] { return have_stats.load(); }, std::chrono::seconds(5));
  sender.stop();
  receiver.stop();
  if (!done) return std::nullopt;
  return out;
}

// Full link set-up through the connection table: TCP connect, mutual TLS
// authentication, link up on both ends, then a clean close.
std::optional<double> measure_table_handshakes(const test::ca_overlay& p, int count) {
  asio::io_context io;
  link_config config;
  config.close_linger = std::chrono::milliseconds(100);
  int ups = 0;
  int downs = 0;
  auto receiver_creds = test::make_credentials(p.ca, receiver_id);
  auto sender_creds = test::make_credentials(p.ca, sender_id);
  tls_context receiver_context(receiver_creds, p.trust.authenticator, config, nullptr);
  tls_context sender_context(sender_creds, p.trust.authenticator, config, nullptr);
  connection_table receiver(io, receiver_context, receiver_id, config, {});
  link_callbacks events;
  events.on_link_up = [&](const node_id&) { ++ups; };
  events.on_link_down = [&](const node_id&, const std::string&) { ++downs; };
  connection_table sender(io, sender_context, sender_id, config, events);
  const auto at = receiver.listen(loopback);
  const auto start = bench_clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  for (int i = 0; i < count; ++i) {
    sender.connect(receiver_id, at);
    while (ups == i && bench_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(10));
    if (ups != i + 1) return std::nullopt;
    sender.close(receiver_id);
  }
  const double seconds = seconds_since(start);
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  return downs == count ? std::optional(count / seconds) : std::nullopt;
}

// The handshake alone: two tls_sessions trading ciphertext in memory.
double measure_session_handshakes(const test::ca_overlay& p, int count) {
  auto client_creds = test::make_credentials(p.ca, sender_id);
  auto server_creds = test::make_credentials(p.ca, receiver_id);
  tls_context client_context(client_creds, p.trust.authenticator, link_config{}, nullptr);
  tls_context server_context(server_creds, p.trust.authenticator, link_config{}, nullptr);
  std::vector<std::uint8_t> ignored;
  const auto start = bench_clock::now();
  for (int i = 0; i < count; ++i) {
    tls_session client(client_context, tls_role::client, receiver_id);
    tls_session server(server_context, tls_role::server, std::nullopt);
    client.start();
    for (int round = 0; round < 10 && (client.has_output() || server.has_output()); ++round) {
      if (client.has_output()) server.receive(client.take_output(), ignored);
      if (server.has_output()) client.receive(server.take_output(), ignored);
    }
    if (client.state() != tls_state::established || server.state() != tls_state::established) {
      std::fprintf(stderr, "in-memory handshake %d failed\n", i);
      std::exit(1);
    }
  }
  return count / seconds_since(start);
}
}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t messages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  const int handshakes = argc > 2 ? std::atoi(argv[2]) : 300;
  const test::ca_overlay p;

  const auto flow = measure_messages(p, messages);
  const auto table_rate = measure_table_handshakes(p, handshakes);
  const double session_rate = measure_session_handshakes(p, handshakes);
  if (!flow || !table_rate) {
    std::fprintf(stderr, "benchmark did not complete\n");
    return 1;
  }
  std::printf("%-46s %14s\n", "link benchmark (loopback, TLS 1.3, P-256)", "result");
  std::printf("%-46s %14.0f\n", "framed 200-byte messages/s, one direction",
              messages / flow->seconds);
  std::printf("%-46s %14.1f\n", "  payload MB/s", messages * message_size / flow->seconds / 1e6);
  std::printf("%-46s %14llu\n", "  ACKs back at the sender by then",
              static_cast<unsigned long long>(flow->acks));
  std::printf("%-46s %14llu\n", "  sends refused (back-pressure, retried)",
              static_cast<unsigned long long>(flow->refused));
  std::printf("%-46s %14.0f\n", "  smoothed RTT at the end (us)", flow->srtt_us);
  std::printf("%-46s %14.0f\n", "link set-ups/s (TCP + TLS + auth + close)", *table_rate);
  std::printf("%-46s %14.0f\n", "TLS handshakes/s (in memory, both ends)", session_rate);
  return 0;
}
