// The sip front end to end on loopback, with raw sockets as user agents, a
// fake directory and a fake node_channel whose "remote daemon" is a TCP
// listener in the test. Checks the control-plane hooks, the threading
// contract (directory and events run on the overlay worker) and the
// node_channel bridge.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>

#include "overlay_worker.hpp"
#include "sip/sip_front.hpp"
#include "sip_test_util.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

using test::node;

class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  return ntohs(a.sin_port);
}

// Reads one datagram or one chunk of a stream, waiting at most `ms`.
std::string receive(int fd, int ms = 3000) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return {};
  char buf[65536];
  auto n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Every "Name: value\r\n" line of a header, in order (names case-insensitive).
std::string header_lines(const std::string& msg, const std::string& name) {
  std::string out;
  const std::string head = msg.substr(0, msg.find("\r\n\r\n") + 2);
  for (std::size_t pos = 0; pos < head.size();) {
    const std::size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) break;
    const std::string line = head.substr(pos, eol + 2 - pos);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.c_str(), name.c_str(), name.size()) == 0)
      out += line;
    pos = eol + 2;
  }
  return out;
}

std::string response_to(const std::string& req, const std::string& status) {
  std::string to = header_lines(req, "To");
  to.insert(to.size() - 2, ";tag=ua1");
  return "SIP/2.0 " + status + "\r\n" + header_lines(req, "Via") + header_lines(req, "From") + to +
         header_lines(req, "Call-ID") + header_lines(req, "CSeq") + "Content-Length: 0\r\n\r\n";
}

struct fake_directory final : sip::overlay_directory {
  std::mutex m;
  std::vector<std::string> published, withdrawn;
  std::map<std::string, sip::lookup_result> answers;
  std::atomic<bool> off_thread{true};
  std::thread::id worker;
  void check() {
    if (std::this_thread::get_id() != worker) off_thread = false;
  }
  void publish(const sip::binding_set& b) override {
    check();
    std::lock_guard l(m);
    published.push_back(b.aor);
  }
  void withdraw(const std::string& aor) override {
    check();
    std::lock_guard l(m);
    withdrawn.push_back(aor);
  }
  void lookup(const std::string& aor, std::function<void(sip::lookup_result)> done) override {
    check();
    sip::lookup_result r;
    {
      std::lock_guard l(m);
      auto it = answers.find(aor);
      if (it != answers.end()) r = it->second;
    }
    done(r);
  }
};

struct fake_channel final : sip::node_channel {
  std::uint16_t port = 0;  // the "remote daemon" listener
  std::atomic<int> opens{0};
  void open(const wire::node_id& peer,
            std::function<void(std::optional<sip::stream_endpoint>)> done) override {
    ++opens;
    if (peer == node(0x22))
      done(sip::stream_endpoint{"127.0.0.1", port});
    else
      done(std::nullopt);
  }
  void on_unreachable(std::function<void(const wire::node_id&)>) override {}
};

// Marks SDP it is asked to rewrite, to show the plug-in point is used;
// refuses SDP marked a=refuse-me; records the dialogs it is told ended.
struct marking_rewriter final : sip::sdp_rewriter {
  std::optional<std::string> rewrite(const sip::sdp_context& ctx, const std::string& sdp) override {
    if (sdp.find("a=refuse-me") != std::string::npos) return std::nullopt;
    if (sdp.find("a=rewrite-me") == std::string::npos) return sdp;
    return sdp + (ctx.direction == sip::sdp_direction::toward_callee ? "a=x-to-callee\r\n"
                                                                     : "a=x-to-caller\r\n");
  }
  void dialog_ended(const std::string& call_id, bool only_early) override {
    std::lock_guard l(m);
    ended.push_back(call_id + (only_early ? " early" : ""));
  }
  bool saw_end(const std::string& what) {
    std::lock_guard l(m);
    return std::find(ended.begin(), ended.end(), what) != ended.end();
  }
  std::mutex m;
  std::vector<std::string> ended;
};

template <class T>
T wait_for(std::future<T>& f) {
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

}  // namespace

TEST_CASE("the front registers, reports, routes MESSAGEs locally and over the node channel") {
  test::overlay_worker worker;
  fake_directory dir;
  {
    std::promise<std::thread::id> id;
    worker.post([&] { id.set_value(std::this_thread::get_id()); });
    dir.worker = id.get_future().get();
  }
  dir.answers["sip:carol@p2psip.test"] = {sip::lookup_status::found, {node(0x22)}, {}};
  dir.answers["sip:dave@p2psip.test"] = {sip::lookup_status::found, {node(0x33)}, {}};

  // The remote daemon's end of the node channel splice.
  fd_guard listener(::socket(AF_INET, SOCK_STREAM, 0));
  auto la = loopback(0);
  REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&la), sizeof la) == 0);
  REQUIRE(::listen(listener.get(), 4) == 0);
  fake_channel channel;
  channel.port = local_port(listener.get());

  std::mutex ev_m;
  std::vector<std::string> reg_events;
  std::atomic<bool> events_off_thread{true};
  sip::sip_events ev;
  ev.on_registration = [&](const sip::registration_info& r) {
    if (std::this_thread::get_id() != dir.worker) events_off_thread = false;
    std::lock_guard l(ev_m);
    reg_events.push_back(r.aor + "=" + std::to_string(r.contacts.size()));
  };

  sip::sip_front_config cfg;
  cfg.listen_port = 0;
  cfg.self = node(0x11);
  cfg.auth = sip::auth_mode::never;
  cfg.may_register = [](const std::string& aor) { return aor != "sip:mallory@p2psip.test"; };
  auto rewriter = std::make_shared<marking_rewriter>();
  sip::sip_front front(cfg, dir, channel, worker.executor(), ev, rewriter);
  const auto port = front.endpoints().udp.port;
  REQUIRE(port != 0);
  CHECK(front.tcp_endpoint().port == port);

  // A softphone on a UDP socket.
  fd_guard ua(::socket(AF_INET, SOCK_DGRAM, 0));
  auto ua_addr = loopback(0);
  REQUIRE(::bind(ua.get(), reinterpret_cast<sockaddr*>(&ua_addr), sizeof ua_addr) == 0);
  const auto ua_port = local_port(ua.get());
  auto proxy = loopback(port);
  auto send_ua = [&](const std::string& m) {
    ::sendto(ua.get(), m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&proxy), sizeof proxy);
  };
  auto reg = [&](const std::string& user, int cseq, const std::string& expires) {
    return "REGISTER sip:p2psip.test SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:" +
           std::to_string(ua_port) + ";rport;branch=z9hG4bK-r" + user + std::to_string(cseq) +
           "\r\n"
           "From: <sip:" +
           user + "@p2psip.test>;tag=r1\r\nTo: <sip:" + user +
           "@p2psip.test>\r\n"
           "Call-ID: reg-" +
           user + "\r\nCSeq: " + std::to_string(cseq) +
           " REGISTER\r\n"
           "Contact: <sip:" +
           user + "@127.0.0.1:" + std::to_string(ua_port) +
           ">\r\n"
           "Expires: " +
           expires + "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  };

  send_ua(reg("alice", 1, "600"));
  std::string ok = receive(ua.get());
  REQUIRE(ok.rfind("SIP/2.0 200", 0) == 0);
  CHECK(ok.find(";expires=600") != std::string::npos);
  // The registrar is the UAS: its 200 tags To (RFC 3261 §8.2.6.2).
  CHECK(header_lines(ok, "To").find(";tag=") != std::string::npos);

  send_ua(reg("mallory", 1, "600"));
  CHECK(receive(ua.get()).rfind("SIP/2.0 403", 0) == 0);

  SECTION("registrations() and lookup() answer on the overlay thread") {
    std::promise<std::vector<sip::registration_info>> p;
    front.registrations([&](std::vector<sip::registration_info> r) { p.set_value(std::move(r)); });
    auto f = p.get_future();
    auto regs = wait_for(f);
    REQUIRE(regs.size() == 1);
    CHECK(regs[0].aor == "sip:alice@p2psip.test");
    REQUIRE(regs[0].contacts.size() == 1);
    CHECK(regs[0].contacts[0].uri == "sip:alice@127.0.0.1:" + std::to_string(ua_port));

    std::promise<sip::lookup_answer> la1, la2;
    front.lookup("sip:alice@p2psip.test",
                 [&](sip::lookup_answer a) { la1.set_value(std::move(a)); });
    front.lookup("sip:carol@p2psip.test",
                 [&](sip::lookup_answer a) { la2.set_value(std::move(a)); });
    auto f1 = la1.get_future();
    auto f2 = la2.get_future();
    CHECK(wait_for(f1).local.size() == 1);
    auto remote = wait_for(f2);
    CHECK(remote.local.empty());
    REQUIRE(remote.overlay.targets.size() == 1);
    CHECK(remote.overlay.targets[0].node == node(0x22));
  }

  SECTION("a daemon-originated MESSAGE reaches a local contact") {
    std::promise<sip::message_result> p;
    front.send_message("<sip:daemon@p2psip.test>", "<sip:alice@p2psip.test>", "hi alice",
                       "text/plain", [&](sip::message_result r) { p.set_value(r); });
    std::string req = receive(ua.get());
    REQUIRE(req.rfind("MESSAGE sip:alice@127.0.0.1:" + std::to_string(ua_port), 0) == 0);
    CHECK(req.find("hi alice") != std::string::npos);
    send_ua(response_to(req, "200 OK"));
    auto f = p.get_future();
    CHECK(wait_for(f).status == 200);
  }

  SECTION("an AOR at another node goes through node_channel to its splice") {
    std::promise<sip::message_result> p;
    front.send_message("<sip:daemon@p2psip.test>", "<sip:carol@p2psip.test>", "hi carol",
                       "text/plain", [&](sip::message_result r) { p.set_value(r); });
    pollfd pl{listener.get(), POLLIN, 0};
    REQUIRE(::poll(&pl, 1, 3000) == 1);
    fd_guard conn(::accept(listener.get(), nullptr, nullptr));
    std::string req = receive(conn.get());
    // The Request-URI stays the AOR, marked for local resolution only.
    REQUIRE(req.rfind("MESSAGE sip:carol@p2psip.test;p2p-local SIP/2.0", 0) == 0);
    CHECK(req.find("Via: SIP/2.0/TCP") != std::string::npos);
    std::string resp = response_to(req, "200 OK");
    // Only our Via remains after the remote side's own; answer on the same stream.
    ::send(conn.get(), resp.data(), resp.size(), 0);
    auto f = p.get_future();
    CHECK(wait_for(f).status == 200);
    CHECK(channel.opens == 1);
  }

  SECTION("unknown, unreachable and own-node-only AORs fail cleanly") {
    std::promise<sip::message_result> p1, p2;
    front.send_message("<sip:daemon@p2psip.test>", "<sip:nobody@p2psip.test>", "x", "text/plain",
                       [&](sip::message_result r) { p1.set_value(r); });
    front.send_message("<sip:daemon@p2psip.test>", "<sip:dave@p2psip.test>", "x", "text/plain",
                       [&](sip::message_result r) { p2.set_value(r); });
    auto f1 = p1.get_future();
    auto f2 = p2.get_future();
    CHECK(wait_for(f1).status == 404);
    CHECK(wait_for(f2).status == 480);  // node 0x33: the channel cannot reach it
  }

  // An INVITE for alice from a caller socket, with an SDP body.
  auto sdp_invite = [&](int caller_fd, const std::string& id, const std::string& sdp) {
    const std::string invite =
        "INVITE sip:alice@p2psip.test SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:" +
        std::to_string(local_port(caller_fd)) + ";rport;branch=z9hG4bK-" + id +
        "\r\n"
        "From: <sip:bob@p2psip.test>;tag=s-" +
        id + "\r\nTo: <sip:alice@p2psip.test>\r\nCall-ID: " + id +
        "\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        "Contact: <sip:bob@127.0.0.1:" +
        std::to_string(local_port(caller_fd)) +
        ">\r\n"
        "Content-Type: application/sdp\r\nContent-Length: " +
        std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
    ::sendto(caller_fd, invite.data(), invite.size(), 0, reinterpret_cast<sockaddr*>(&proxy),
             sizeof proxy);
  };

  SECTION("SDP passes through the sdp_rewriter on the way to the callee") {
    fd_guard caller(::socket(AF_INET, SOCK_DGRAM, 0));
    auto ca = loopback(0);
    REQUIRE(::bind(caller.get(), reinterpret_cast<sockaddr*>(&ca), sizeof ca) == 0);
    const std::string sdp =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
        "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rewrite-me\r\n";
    sdp_invite(caller.get(), "sdp-1", sdp);
    std::string req = receive(ua.get());
    REQUIRE(req.rfind("INVITE sip:alice@127.0.0.1:" + std::to_string(ua_port), 0) == 0);
    CHECK(req.find("a=x-to-callee") != std::string::npos);
    const std::string rewritten = sdp + "a=x-to-callee\r\n";
    CHECK(req.find("Content-Length: " + std::to_string(rewritten.size())) != std::string::npos);
    CHECK(req.find("Record-Route: <sip:127.0.0.1:" + std::to_string(port) + ";lr;p2p=") !=
          std::string::npos);
    send_ua(response_to(req, "486 Busy Here"));
    std::string answer;
    for (int i = 0; i < 3 && answer.rfind("SIP/2.0 486", 0) != 0; ++i)
      answer = receive(caller.get());
    CHECK(answer.rfind("SIP/2.0 486", 0) == 0);
    // The failure ended the early dialog for the media plug-in too.
    CHECK(rewriter->saw_end("sdp-1 early"));
  }

  SECTION("SDP the sdp_rewriter refuses is answered 488, and nothing is forwarded") {
    fd_guard caller(::socket(AF_INET, SOCK_DGRAM, 0));
    auto ca = loopback(0);
    REQUIRE(::bind(caller.get(), reinterpret_cast<sockaddr*>(&ca), sizeof ca) == 0);
    const std::string sdp =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
        "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=refuse-me\r\n";
    sdp_invite(caller.get(), "sdp-2", sdp);
    std::string answer;
    for (int i = 0; i < 3 && answer.rfind("SIP/2.0 488", 0) != 0; ++i)
      answer = receive(caller.get());
    CHECK(answer.rfind("SIP/2.0 488", 0) == 0);
    CHECK(answer.find("media cannot be anchored") != std::string::npos);
  }

  SECTION("a request another daemon handed over is resolved locally only") {
    const std::string m =
        "MESSAGE sip:carol@p2psip.test;p2p-local SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:" +
        std::to_string(ua_port) +
        ";rport;branch=z9hG4bK-loop1\r\n"
        "From: <sip:x@p2psip.test>;tag=l1\r\nTo: <sip:carol@p2psip.test>\r\n"
        "Call-ID: loop-1\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    send_ua(m);
    CHECK(receive(ua.get()).rfind("SIP/2.0 480", 0) == 0);  // not bounced to node 0x22
    CHECK(channel.opens == 0);
  }

  SECTION("a response matching no transaction goes on only when its top Via is ours") {
    fd_guard next_hop(::socket(AF_INET, SOCK_DGRAM, 0));
    auto nh = loopback(0);
    REQUIRE(::bind(next_hop.get(), reinterpret_cast<sockaddr*>(&nh), sizeof nh) == 0);
    auto stray = [&](const std::string& top_via, const std::string& call_id) {
      return "SIP/2.0 200 OK\r\nVia: " + top_via +
             "\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(local_port(next_hop.get())) +
             ";branch=z9hG4bK-next-" + call_id +
             "\r\nFrom: <sip:a@p2psip.test>;tag=1\r\nTo: <sip:b@p2psip.test>;tag=2\r\n"
             "Call-ID: " +
             call_id + "\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n";
    };
    // A forged one (RFC 3261 §16.11: discarded), then a real retransmission.
    send_ua(stray("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-forged", "forged-1"));
    send_ua(
        stray("SIP/2.0/UDP 127.0.0.1:" + std::to_string(port) + ";branch=z9hG4bK-ours", "ours-1"));
    // Handled in order: had the forged one been forwarded, it would come first.
    const std::string forwarded = receive(next_hop.get());
    CHECK(header_lines(forwarded, "Call-ID") == "Call-ID: ours-1\r\n");
    CHECK(header_lines(forwarded, "Via").find("z9hG4bK-ours") == std::string::npos);
    CHECK(receive(next_hop.get(), 200).empty());
  }

  SECTION("unregistering withdraws the AOR from the overlay") {
    send_ua(reg("alice", 2, "0"));
    CHECK(receive(ua.get()).rfind("SIP/2.0 200", 0) == 0);
    std::promise<void> flushed;
    worker.post([&] { flushed.set_value(); });
    flushed.get_future().wait();
    std::lock_guard l(dir.m);
    REQUIRE_FALSE(dir.withdrawn.empty());
    CHECK(dir.withdrawn.back() == "sip:alice@p2psip.test");
  }

  front.stop();
  std::promise<void> flushed;
  worker.post([&] { flushed.set_value(); });
  flushed.get_future().wait();
  CHECK(dir.off_thread);
  CHECK(events_off_thread);
  std::lock_guard l(dir.m);
  CHECK_FALSE(dir.published.empty());
  std::lock_guard l2(ev_m);
  CHECK_FALSE(reg_events.empty());
}

namespace {

// What a front needs around it, for the test cases that want nothing special.
struct front_surroundings {
  fake_directory dir;
  fake_channel channel;
  sip::sip_front_config cfg = config(sip::auth_mode::never);
  // Last, so destroyed first: what the front posted runs before dir goes.
  test::overlay_worker worker;

  static sip::sip_front_config config(sip::auth_mode auth) {
    sip::sip_front_config c;
    c.listen_port = 0;
    c.auth = auth;
    return c;
  }
  sip::sip_front make() { return sip::sip_front(cfg, dir, channel, worker.executor()); }
};

}  // namespace

TEST_CASE("a front that must check digest refuses to start without a password file") {
  front_surroundings env;
  env.cfg = front_surroundings::config(sip::auth_mode::always);
  try {
    auto front = env.make();
    FAIL("the front started without a password file");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) ==
          "sip: digest authentication is on for 127.0.0.1 but no password file (auth_db) is given");
  }
}

TEST_CASE("a front whose port a phone holds says so and how to fix the phone") {
  // A softphone on its default port, as stock linphonec binds 5060.
  const int phone = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(phone >= 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(phone, reinterpret_cast<const sockaddr*>(&at), sizeof at) == 0);
  socklen_t size = sizeof at;
  REQUIRE(::getsockname(phone, reinterpret_cast<sockaddr*>(&at), &size) == 0);
  front_surroundings env;
  env.cfg.listen_port = ntohs(at.sin_port);
  try {
    auto front = env.make();
    FAIL("the front started on a port a phone holds");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) ==
          "sip: cannot listen on 127.0.0.1:" + std::to_string(env.cfg.listen_port) +
              ": Address already in use (another program holds the "
              "port, such as a softphone on its default port 5060: "
              "give the phone a random local SIP port, see p2psipd(8) "
              "SIP)");
  }
  ::close(phone);
}

TEST_CASE("in-dialog requests to a GRUU reach the instance's contact (RFC 5627)") {
  front_surroundings env;
  env.cfg.gr_token = [](const std::string&, const std::string&) { return std::string("tok1"); };
  auto front = env.make();
  auto proxy = loopback(front.endpoints().udp.port);

  fd_guard bob(::socket(AF_INET, SOCK_DGRAM, 0));
  fd_guard alice(::socket(AF_INET, SOCK_DGRAM, 0));
  for (int fd : {bob.get(), alice.get()}) {
    auto a = loopback(0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  const std::string bob_port = std::to_string(local_port(bob.get()));
  const std::string alice_port = std::to_string(local_port(alice.get()));
  auto send_from = [&](int fd, const std::string& m) {
    ::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&proxy), sizeof proxy);
  };
  send_from(bob.get(),
            "REGISTER sip:p2psip.test SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:" +
                bob_port +
                ";rport;branch=z9hG4bK-gr1\r\n"
                "From: <sip:bob@p2psip.test>;tag=g1\r\nTo: <sip:bob@p2psip.test>\r\n"
                "Call-ID: reg-gruu\r\nCSeq: 1 REGISTER\r\nSupported: gruu\r\n"
                "Contact: <sip:bob@127.0.0.1:" +
                bob_port +
                ">;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000001>\"\r\n"
                "Expires: 600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
  const std::string ok = receive(bob.get());
  REQUIRE(ok.rfind("SIP/2.0 200", 0) == 0);
  REQUIRE(ok.find("pub-gruu=\"sip:bob@p2psip.test;gr=tok1\"") != std::string::npos);

  // What a UA sends once its dialog's remote target is bob's GRUU (no Route
  // set: the proxy did not record-route, or the UA used it as outbound proxy).
  auto in_dialog = [&](const std::string& method, const std::string& branch) {
    return method +
           " sip:bob@p2psip.test;gr=tok1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + alice_port +
           ";rport;branch=z9hG4bK-" + branch +
           "\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\nTo: <sip:bob@p2psip.test>;tag=b1\r\n"
           "Call-ID: gruu-dialog\r\nCSeq: 2 " +
           method + "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  };
  send_from(alice.get(), in_dialog("ACK", "ack1"));
  CHECK(receive(bob.get()).rfind("ACK sip:bob@127.0.0.1:" + bob_port + " SIP/2.0", 0) == 0);
  send_from(alice.get(), in_dialog("BYE", "bye1"));
  const std::string bye = receive(bob.get());
  REQUIRE(bye.rfind("BYE sip:bob@127.0.0.1:" + bob_port + " SIP/2.0", 0) == 0);
  const std::string ok_bye = response_to(bye, "200 OK");
  send_from(bob.get(), ok_bye);
  CHECK(receive(alice.get()).rfind("SIP/2.0 200", 0) == 0);
  CHECK(env.channel.opens == 0);  // bob is local: no other daemon involved
}

TEST_CASE("a next hop that is a host name is answered at once: the front resolves no DNS") {
  front_surroundings env;
  auto front = env.make();
  auto proxy = loopback(front.endpoints().udp.port);
  fd_guard ua(::socket(AF_INET, SOCK_DGRAM, 0));
  auto a = loopback(0);
  REQUIRE(::bind(ua.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string port = std::to_string(local_port(ua.get()));
  auto send = [&](const std::string& m) {
    ::sendto(ua.get(), m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&proxy), sizeof proxy);
  };
  auto request = [&](const std::string& method, const std::string& ruri, const std::string& to,
                     const std::string& extra, const std::string& branch) {
    return method + " " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + port +
           ";rport;branch=z9hG4bK-" + branch +
           "\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\nTo: " + to + "\r\nCall-ID: " + branch +
           "\r\nCSeq: 1 " + method + "\r\n" + extra +
           "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  };
  // A contact registered by host name, reached through its AOR.
  send(request("REGISTER", "sip:p2psip.test", "<sip:carol@p2psip.test>",
               "Contact: <sip:carol@carol-pc.invalid>\r\nExpires: 600\r\n", "reg"));
  REQUIRE(receive(ua.get()).rfind("SIP/2.0 200", 0) == 0);

  struct hop {
    std::string request;
    std::string host;
  };
  const hop hops[] = {
      {request("MESSAGE", "sip:bob@p2psip.test", "<sip:bob@p2psip.test>;tag=b1",
               "Route: <sip:proxy.example.invalid;lr>\r\n", "route"),
       "proxy.example.invalid"},
      {request("BYE", "sip:bob@bobs-laptop.invalid", "<sip:bob@p2psip.test>;tag=b1", "", "bye"),
       "bobs-laptop.invalid"},
      {request("MESSAGE", "sip:carol@p2psip.test", "<sip:carol@p2psip.test>", "", "contact"),
       "carol-pc.invalid"},
  };
  for (const auto& h : hops) {
    send(h.request);
    const auto started = std::chrono::steady_clock::now();
    std::string answer = receive(ua.get(), 1000);
    for (int provisional = 0; provisional < 3 && answer.rfind("SIP/2.0 1", 0) == 0; ++provisional)
      answer = receive(ua.get(), 1000);
    INFO(h.request);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    CHECK(answer.rfind("SIP/2.0 404", 0) == 0);
    CHECK(header_lines(answer, "Reason").find(h.host) != std::string::npos);
  }
  send(request("OPTIONS", "sip:127.0.0.1:" + std::to_string(front.endpoints().udp.port),
               "<sip:127.0.0.1>", "", "options"));
  CHECK(receive(ua.get(), 1000).rfind("SIP/2.0 200", 0) == 0);
}

TEST_CASE("a stalled sip thread leaves the liveness probe unanswered until it runs again") {
  front_surroundings env;
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  // may_register runs on the sip thread: a REGISTER for "stall" holds it.
  env.cfg.may_register = [&entered, released](const std::string& aor) {
    if (aor.find("stall") != std::string::npos) {
      entered.set_value();
      released.wait();
    }
    return true;
  };
  auto front = env.make();
  // Declared after the front, so destroyed first: a failed check must not
  // leave the sip thread held while the front stops it.
  struct releaser {
    std::promise<void>& promise;
    bool done = false;
    void now() {
      if (!std::exchange(done, true)) promise.set_value();
    }
    ~releaser() { now(); }
  } release_guard{release};

  std::atomic<int> answered{0};
  front.probe([&] { ++answered; });
  for (int i = 0; i < 200 && answered == 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(answered == 1);  // a running thread answers at once

  auto proxy = loopback(front.endpoints().udp.port);
  fd_guard ua(::socket(AF_INET, SOCK_DGRAM, 0));
  auto a = loopback(0);
  REQUIRE(::bind(ua.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string port = std::to_string(local_port(ua.get()));
  const std::string reg = "REGISTER sip:p2psip.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + port +
                          ";rport;branch=z9hG4bK-stall\r\nFrom: <sip:stall@p2psip.test>;tag=s1\r\n"
                          "To: <sip:stall@p2psip.test>\r\nCall-ID: stall\r\nCSeq: 1 REGISTER\r\n"
                          "Contact: <sip:stall@127.0.0.1:" +
                          port +
                          ">\r\nExpires: 60\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  ::sendto(ua.get(), reg.data(), reg.size(), 0, reinterpret_cast<sockaddr*>(&proxy), sizeof proxy);
  REQUIRE(entered.get_future().wait_for(5s) == std::future_status::ready);

  front.probe([&] { ++answered; });
  std::this_thread::sleep_for(300ms);
  CHECK(answered == 1);  // stalled: no answer
  release_guard.now();
  for (int i = 0; i < 500 && answered < 2; ++i) std::this_thread::sleep_for(10ms);
  CHECK(answered == 2);  // running again: answered
}
