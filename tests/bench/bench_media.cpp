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
// With --rtpengine PID NG_PORT CALLS SECONDS: the same calls and streams
// relayed by a running rtpengine (sessions made with ng offer/answer), its
// process CPU (utime+stime from /proc) per packet; bench_media_rtpengine.sh
// runs both and prints the ratio.
//
// usage: bench_media [CALLS] [SECONDS]
//        bench_media --churn N
//        bench_media --rtpengine PID NG_PORT CALLS SECONDS
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
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

// utime + stime from a /proc stat file (a process's or one thread's), in
// seconds; -1 when it cannot be read.
double stat_cpu(const std::string& path) {
  std::ifstream stat_file(path);
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  if (stat.empty()) return -1;
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// utime + stime of this process's threads named `a` or `b`, in seconds.
double thread_cpu(const char* a, const char* b) {
  double total = 0;
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir) return 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string base = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm_file(base + "/comm");
    std::string comm;
    std::getline(comm_file, comm);
    if (comm == a || comm == b) total += std::max(0.0, stat_cpu(base + "/stat"));
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

// Where packets went in one anchor: from its phones, dropped before SRTP
// and the path, and from the far anchor after SRTP.
struct stage_counts {
  std::uint64_t from_phones = 0, not_sent = 0, from_far = 0, refused = 0;
};

stage_counts stages(media::media_anchor& anchor) {
  std::promise<stage_counts> p;
  anchor.reports([&](std::vector<media::call_report> calls, media::media_anchor_counters) {
    stage_counts n;
    for (const auto& c : calls)
      for (const auto& s : c.streams) {
        n.from_phones += s.from_phone.packets;
        n.not_sent += s.not_sent;
        n.from_far += s.from_far.packets;
        n.refused += s.srtp_refused;
      }
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

// Bytes malloc has handed out and not had back (its arenas and mmapped
// chunks), beside VmRSS: growth here is memory kept, growth of VmRSS alone
// is the allocator's retention.
std::size_t heap_in_use() {
  const struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
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
  std::printf("start: %zu fds, VmRSS%s, heap in use %zu B\n", open_fds(), vm_rss().c_str(),
              heap_in_use());
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
          "%zu calls (%zu with media through) in %.0f s: %zu fds, VmRSS%s, heap in use %zu B, "
          "calls left %zu + %zu\n",
          i, through, s, open_fds(), vm_rss().c_str(), heap_in_use(), calls_of(a), calls_of(b));
      std::fflush(stdout);
    }
  }
  return 0;
}

// The phones' side of a run: every phone sends 50 RTP packets/s of
// 160-byte PCMU to its leg for `seconds`, and reads what reaches it.
struct traffic {
  std::uint64_t sent = 0, to_callee = 0, to_caller = 0;
  double elapsed = 0;
  std::uint64_t delivered() const { return to_callee + to_caller; }
};

using phones = std::vector<std::unique_ptr<phone>>;

template <class Measure>
traffic send_streams(phones& caller, phones& callee, int seconds, Measure&& start_measuring) {
  const std::size_t calls = caller.size();
  std::vector<std::uint8_t> packet(12 + 160, 0xd5);
  packet[0] = 0x80;  // version 2
  packet[1] = 0;     // PCMU
  traffic t;
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
          ++t.sent;
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

  start_measuring();
  const auto start = std::chrono::steady_clock::now();
  const int ticks = seconds * 50;
  for (int tick = 0; tick < ticks; ++tick) {
    send_all(static_cast<std::uint16_t>(tick + 1));
    drain();
    std::this_thread::sleep_until(start + tick * 20ms + 20ms);
    drain();
  }
  for (int i = 0; i < 25; ++i) {
    std::this_thread::sleep_for(20ms);
    drain();
  }
  for (std::size_t i = 0; i < calls; ++i) {
    t.to_callee += callee[i]->received;
    t.to_caller += caller[i]->received;
  }
  t.elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

void print_traffic(const traffic& t) {
  std::printf(
      "packets sent %llu, delivered %llu (to callees %llu, to callers %llu), loss %.3f %%\n",
      static_cast<unsigned long long>(t.sent), static_cast<unsigned long long>(t.delivered()),
      static_cast<unsigned long long>(t.to_callee), static_cast<unsigned long long>(t.to_caller),
      t.sent ? 100.0 * (1.0 - static_cast<double>(t.delivered()) / static_cast<double>(t.sent))
             : 0.0);
}

// rtpengine's ng control protocol: "<cookie> <bencoded dictionary>" over
// UDP, one reply per request.
std::string bencode(const std::string& s) { return std::to_string(s.size()) + ":" + s; }

// The value of the reply's "sdp" key, or nothing (a failed request).
std::optional<std::string> ng_request(int fd, std::uint16_t port, const std::string& cookie,
                                      const std::string& dictionary) {
  const std::string message = cookie + " " + dictionary;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  if (::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
      0)
    return std::nullopt;
  char reply[65536];
  const ssize_t n = ::recv(fd, reply, sizeof reply, 0);  // SO_RCVTIMEO bounds it
  if (n <= 0) return std::nullopt;
  const std::string text(reply, static_cast<std::size_t>(n));
  if (text.rfind(cookie + " ", 0) != 0 || text.find("6:result2:ok") == std::string::npos) {
    std::fprintf(stderr, "ng reply: %s\n", text.c_str());
    return std::nullopt;
  }
  const auto key = text.find("3:sdp");
  if (key == std::string::npos) return std::nullopt;
  const auto colon = text.find(':', key + 5);
  const std::size_t length = std::strtoul(text.c_str() + key + 5, nullptr, 10);
  return text.substr(colon + 1, length);
}

// The same calls and streams through rtpengine (pid, ng port): each call an
// offer and an answer, plain RTP both sides; then its process CPU per packet.
int through_rtpengine(long pid, std::uint16_t ng_port, std::size_t calls, int seconds) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  timeval limit{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  // Call-IDs and ng cookies of their own: rtpengine answers a cookie it has
  // seen with its cached reply (a retransmission), the old call's ports.
  const std::string call_ids = "bench-" + std::to_string(::getpid()) + "-";
  phones caller(calls), callee(calls);
  const auto setup_start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < calls; ++i) {
    caller[i] = std::make_unique<phone>();
    callee[i] = std::make_unique<phone>();
    const std::string id = call_ids + std::to_string(i);
    const auto offer =
        ng_request(fd, ng_port, "o" + call_ids + std::to_string(i),
                   "d7:call-id" + bencode(id) + "7:command5:offer8:from-tag4:from3:sdp" +
                       bencode(sdp(caller[i]->port)) + "e");
    callee[i]->leg = port_of(offer);
    const auto answer =
        ng_request(fd, ng_port, "a" + call_ids + std::to_string(i),
                   "d7:call-id" + bencode(id) + "7:command6:answer8:from-tag4:from3:sdp" +
                       bencode(sdp(callee[i]->port)) + "6:to-tag2:toe");
    caller[i]->leg = port_of(answer);
    if (!caller[i]->leg || !callee[i]->leg) {
      ::close(fd);
      return std::fprintf(stderr, "rtpengine refused call %zu\n", i), 1;
    }
  }
  const double setup_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();
  double cpu_before = 0;
  const traffic t = send_streams(caller, callee, seconds, [&] {
    cpu_before = stat_cpu("/proc/" + std::to_string(pid) + "/stat");
  });
  const double cpu = stat_cpu("/proc/" + std::to_string(pid) + "/stat") - cpu_before;
  for (std::size_t i = 0; i < calls; ++i)
    ng_request(fd, ng_port, "d" + call_ids + std::to_string(i),
               "d7:call-id" + bencode(call_ids + std::to_string(i)) +
                   "7:command6:delete8:from-tag4:frome");
  ::close(fd);
  std::printf("rtpengine: calls %zu, %d s, setup %.1f s (offer/answer over ng)\n", calls, seconds,
              setup_s);
  print_traffic(t);
  std::printf("rtpengine process CPU %.2f s over %.1f s: %.2f us per packet (%.1f %% of a core)\n",
              cpu, t.elapsed, t.delivered() ? 1e6 * cpu / static_cast<double>(t.delivered()) : 0.0,
              100.0 * cpu / t.elapsed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "--rtpengine")
    return through_rtpengine(std::strtol(argv[2], nullptr, 10),
                             static_cast<std::uint16_t>(std::strtoul(argv[3], nullptr, 10)),
                             std::strtoul(argv[4], nullptr, 10), std::atoi(argv[5]));
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

  phones caller(calls), callee(calls);
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

  stage_counts a_before, b_before;
  double cpu_before = 0;
  const traffic t = send_streams(caller, callee, seconds, [&] {
    a_before = stages(a);
    b_before = stages(b);
    cpu_before = thread_cpu("media", "media-ice");
  });
  const double cpu = thread_cpu("media", "media-ice") - cpu_before;
  const stage_counts a_after = stages(a), b_after = stages(b);
  std::printf("calls %zu, %d s, setup %.1f s (offer/answer through both anchors, ICE ready)\n",
              calls, seconds, setup_s);
  print_traffic(t);
  std::printf(
      "anchor threads CPU %.2f s over %.1f s: %.2f us per packet per daemon (%.1f %% of a core per "
      "daemon)\n",
      cpu, t.elapsed, t.delivered() ? 1e6 * cpu / (2.0 * static_cast<double>(t.delivered())) : 0.0,
      100.0 * cpu / 2.0 / t.elapsed);
  // Under loss, per packet delivered overstates the cost: what an anchor took
  // in (from its phones, from the far anchor) but did not get through by the
  // end of the run cost CPU too.
  const std::uint64_t taken_in = a_after.from_phones - a_before.from_phones + a_after.from_far -
                                 a_before.from_far + b_after.from_phones - b_before.from_phones +
                                 b_after.from_far - b_before.from_far;
  std::printf("per packet taken in by an anchor: %.2f us (%llu taken in)\n",
              taken_in ? 1e6 * cpu / static_cast<double>(taken_in) : 0.0,
              static_cast<unsigned long long>(taken_in));
  for (const auto& [name, before, after] :
       {std::tuple{"A (callers)", a_before, a_after}, std::tuple{"B (callees)", b_before, b_after}})
    std::printf(
        "anchor %s: from its phones %llu, dropped before the path %llu, from the far anchor "
        "%llu, refused by SRTP %llu\n",
        name, static_cast<unsigned long long>(after.from_phones - before.from_phones),
        static_cast<unsigned long long>(after.not_sent - before.not_sent),
        static_cast<unsigned long long>(after.from_far - before.from_far),
        static_cast<unsigned long long>(after.refused - before.refused));
  return 0;
}
