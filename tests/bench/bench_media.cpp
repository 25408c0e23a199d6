// Anchored G.711 calls between two media_anchors in one process: two
// daemons' media paths on loopback (phone -> anchor A -> ICE path with SRTP
// -> anchor B -> phone, and back). CALLS calls, each phone sending 50 RTP
// packets/s of 160-byte PCMU for SECONDS, both ways. Prints the packets
// sent and delivered each way, the loss, and the CPU time of the anchors'
// threads ("media": legs, SRTP, timers; "media-ice": libnice's sockets) per
// packet per daemon. The phones are one driver thread, not counted.
//
// With --churn N instead: N calls one after the other, each set up, its
// paths ready and a few packets through, then ended on both anchors; the
// open descriptors, VmRSS and calls left are printed every 1,000 calls, so
// a leak of ports, agents or memory shows.
//
// usage: bench_media [CALLS] [SECONDS]
//        bench_media --churn N
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "media/media_anchor.hpp"
#include "media/sdp_session.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

struct phone {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  std::uint16_t port = 0;
  std::uint16_t leg = 0;  // where it sends: its daemon's phone-facing port
  std::uint64_t received = 0;
  phone() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~phone() { ::close(fd); }
  phone(const phone&) = delete;
  phone& operator=(const phone&) = delete;
};

std::string sdp(std::uint16_t port) {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

std::uint16_t port_of(const std::optional<std::string>& body) {
  if (!body) return 0;
  auto s = media::sdp_session::parse(*body);
  return s ? s->media().at(0).port : 0;
}

// utime + stime of this process's threads named `a` or `b`, in seconds.
double thread_cpu(const char* a, const char* b) {
  double total = 0;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir) return 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string base = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm_file(base + "/comm");
    std::string comm;
    std::getline(comm_file, comm);
    if (comm != a && comm != b) continue;
    std::ifstream stat_file(base + "/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    total += (utime + stime) / tick;
  }
  ::closedir(dir);
  return total;
}

std::size_t ready_streams(media::media_anchor& anchor) {
  std::promise<std::size_t> p;
  anchor.reports([&](std::vector<media::call_report> calls, media::media_anchor_counters) {
    std::size_t n = 0;
    for (const auto& c : calls)
      for (const auto& s : c.streams) n += s.pair && s.srtp;
    p.set_value(n);
  });
  return p.get_future().get();
}

std::size_t open_fds() {
  std::size_t n = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
    ::closedir(dir);
  }
  return n;
}

std::string vm_rss() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return line.substr(6);
  return "?";
}

std::size_t calls_of(media::media_anchor& anchor) {
  std::promise<std::size_t> p;
  anchor.reports([&](std::vector<media::call_report> calls, media::media_anchor_counters) {
    p.set_value(calls.size());
  });
  return p.get_future().get();
}

// One call set up through both anchors; its legs in the phones.
bool set_up(media::media_anchor& a, media::media_anchor& b, const std::string& id, phone& caller,
            phone& callee) {
  const auto offer = a.rewrite({id, sip::sdp_direction::toward_callee, true, 0}, sdp(caller.port));
  if (!offer) return false;
  callee.leg = port_of(b.rewrite({id, sip::sdp_direction::toward_callee, false, 0}, *offer));
  const auto answer =
      b.rewrite({id, sip::sdp_direction::toward_caller, false, 200}, sdp(callee.port));
  if (!answer) return false;
  caller.leg = port_of(a.rewrite({id, sip::sdp_direction::toward_caller, true, 200}, *answer));
  return caller.leg && callee.leg;
}

int churn(media::media_anchor& a, media::media_anchor& b, std::size_t n) {
  std::vector<std::uint8_t> packet(12 + 160, 0xd5);
  packet[0] = 0x80;
  packet[1] = 0;
  std::uint8_t buf[2048];
  std::size_t through = 0;
  std::printf("start: %zu fds, VmRSS%s\n", open_fds(), vm_rss().c_str());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 1; i <= n; ++i) {
    phone caller, callee;
    const std::string id = "churn-" + std::to_string(i);
    if (!set_up(a, b, id, caller, callee)) return std::fprintf(stderr, "call %zu refused\n", i), 1;
    // Until one packet gets through (the path is up), 2 s at most.
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(caller.leg);
    for (std::uint16_t seq = 1; seq < 200; ++seq) {
      packet[3] = static_cast<std::uint8_t>(seq);
      packet[2] = static_cast<std::uint8_t>(seq >> 8);
      ::sendto(caller.fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof to);
      std::this_thread::sleep_for(10ms);
      if (::recv(callee.fd, buf, sizeof buf, 0) > 0) {
        ++through;
        break;
      }
    }
    a.dialog_ended(id, false);
    b.dialog_ended(id, false);
    if (i % 1000 == 0 || i == n) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf(
          "%zu calls (%zu with media through) in %.0f s: %zu fds, VmRSS%s, calls left %zu + %zu\n",
          i, through, s, open_fds(), vm_rss().c_str(), calls_of(a), calls_of(b));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bool churning = argc > 2 && std::string(argv[1]) == "--churn";
  const std::size_t calls = argc > 1 && !churning ? std::strtoul(argv[1], nullptr, 10) : 100;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  nat::ice_agent_config ice;
  ice.local_addresses = {boost::asio::ip::make_address("127.0.0.1")};
  media::media_anchor_config config;
  config.pool_size = 4;
  config.inactivity = std::chrono::hours(1);
  media::media_anchor a(config, ice, {});
  media::media_anchor b(config, ice, {});
  if (churning) return churn(a, b, std::strtoul(argv[2], nullptr, 10));

  std::vector<std::unique_ptr<phone>> caller(calls), callee(calls);
  const auto setup_start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < calls; ++i) {
    caller[i] = std::make_unique<phone>();
    callee[i] = std::make_unique<phone>();
    if (!set_up(a, b, "bench-" + std::to_string(i), *caller[i], *callee[i]))
      return std::fprintf(stderr, "call %zu refused\n", i), 1;
  }
  for (int i = 0; i < 600 && (ready_streams(a) < calls || ready_streams(b) < calls); ++i)
    std::this_thread::sleep_for(100ms);
  const double setup_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();
  if (ready_streams(a) < calls || ready_streams(b) < calls) {
    std::fprintf(stderr, "paths not ready: %zu and %zu of %zu\n", ready_streams(a),
                 ready_streams(b), calls);
    return 1;
  }

  std::vector<std::uint8_t> packet(12 + 160, 0xd5);
  packet[0] = 0x80;  // version 2
  packet[1] = 0;     // PCMU
  std::uint64_t sent = 0;
  auto send_all = [&](std::uint16_t seq) {
    packet[2] = static_cast<std::uint8_t>(seq >> 8);
    packet[3] = static_cast<std::uint8_t>(seq);
    const std::uint32_t ts = seq * 160u;
    for (int k = 0; k < 4; ++k) packet[4 + k] = static_cast<std::uint8_t>(ts >> (24 - 8 * k));
    for (std::size_t i = 0; i < calls; ++i) {
      for (phone* p : {caller[i].get(), callee[i].get()}) {
        packet[11] = static_cast<std::uint8_t>(p == caller[i].get());
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to.sin_port = htons(p->leg);
        if (::sendto(p->fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to) == static_cast<ssize_t>(packet.size()))
          ++sent;
      }
    }
  };
  std::uint8_t buf[2048];
  auto drain = [&] {
    for (std::size_t i = 0; i < calls; ++i)
      for (phone* p : {caller[i].get(), callee[i].get()})
        while (::recv(p->fd, buf, sizeof buf, 0) > 0) ++p->received;
  };
  drain();
  for (std::size_t i = 0; i < calls; ++i) caller[i]->received = callee[i]->received = 0;

  const double cpu_before = thread_cpu("media", "media-ice");
  const auto start = std::chrono::steady_clock::now();
  const int ticks = seconds * 50;
  for (int t = 0; t < ticks; ++t) {
    send_all(static_cast<std::uint16_t>(t + 1));
    drain();
    std::this_thread::sleep_until(start + t * 20ms + 20ms);
    drain();
  }
  for (int i = 0; i < 25; ++i) {
    std::this_thread::sleep_for(20ms);
    drain();
  }
  const double cpu = thread_cpu("media", "media-ice") - cpu_before;
  std::uint64_t to_callee = 0, to_caller = 0;
  for (std::size_t i = 0; i < calls; ++i) {
    to_callee += callee[i]->received;
    to_caller += caller[i]->received;
  }
  const std::uint64_t delivered = to_callee + to_caller;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("calls %zu, %d s, setup %.1f s (offer/answer through both anchors, ICE ready)\n",
              calls, seconds, setup_s);
  std::printf(
      "packets sent %llu, delivered %llu (to callees %llu, to callers %llu), loss %.3f %%\n",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(delivered),
      static_cast<unsigned long long>(to_callee), static_cast<unsigned long long>(to_caller),
      sent ? 100.0 * (1.0 - static_cast<double>(delivered) / static_cast<double>(sent)) : 0.0);
  std::printf(
      "anchor threads CPU %.2f s over %.1f s: %.2f us per packet per daemon (%.1f %% of a core per "
      "daemon)\n",
      cpu, elapsed, delivered ? 1e6 * cpu / (2.0 * static_cast<double>(delivered)) : 0.0,
      100.0 * cpu / 2.0 / elapsed);
  return 0;
}
