// Two media_anchors in one process, on loopback, as two daemons would use
// them: a phone's offer rewritten toward the far daemon (RTP/SAVP, a=crypto,
// ICE), then toward the far phone (RTP/AVP at the anchor's address), the
// answer back the same way; RTP from each fake phone (a UDP socket) reaches
// the other through both anchors, an ICE path between them and SRTP. The
// dialog's end releases the ports. Also the SDP that passes untouched and
// the SDP that is refused.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "media/media_anchor.hpp"
#include "media/sdp_session.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

const auto loopback = boost::asio::ip::make_address("127.0.0.1");

struct udp_socket {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::uint16_t port = 0;
  udp_socket() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~udp_socket() { ::close(fd); }
  void send_to(std::uint16_t to, const std::vector<std::uint8_t>& data) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(to);
    ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  std::vector<std::uint8_t> receive(int ms) const {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return {};
    std::vector<std::uint8_t> buf(2048);
    const auto n = ::recv(fd, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
  }
};

// Whether a UDP port on loopback is free to bind (nobody holds it).
bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string phone_sdp(std::uint16_t port, const char* direction = "sendrecv") {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(port) +
         " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
         "a=fmtp:101 0-16\r\na=" +
         direction + "\r\n";
}

std::vector<std::uint8_t> rtp(std::uint16_t seq, std::uint8_t fill) {
  std::vector<std::uint8_t> p(12 + 160, fill);
  p[0] = 0x80;
  p[1] = 0;  // PCMU
  p[2] = static_cast<std::uint8_t>(seq >> 8);
  p[3] = static_cast<std::uint8_t>(seq);
  const std::uint32_t ts = seq * 160u;
  p[4] = static_cast<std::uint8_t>(ts >> 24);
  p[5] = static_cast<std::uint8_t>(ts >> 16);
  p[6] = static_cast<std::uint8_t>(ts >> 8);
  p[7] = static_cast<std::uint8_t>(ts);
  p[8] = 0x12;
  p[11] = fill;  // SSRC
  return p;
}

std::uint16_t first_port(const std::string& sdp) {
  auto s = media::sdp_session::parse(sdp);
  REQUIRE(s);
  return s->media().at(0).port;
}

nat::ice_agent_config loopback_ice() {
  nat::ice_agent_config c;
  c.local_addresses = {loopback};
  c.check_timeout = 100ms;
  c.check_retransmissions = 3;
  c.failure_grace = 500ms;
  return c;
}

std::vector<media::call_report> reports_of(media::media_anchor& a) {
  std::promise<std::vector<media::call_report>> p;
  a.reports([&](std::vector<media::call_report> r, media::media_anchor_counters) {
    p.set_value(std::move(r));
  });
  auto f = p.get_future();
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

// Sends from `from` to `leg` until `to` gets a packet with `fill` in its
// payload (bounded): the RTP went through both anchors.
bool carries(const udp_socket& from, std::uint16_t leg, const udp_socket& to, std::uint8_t fill) {
  for (std::uint16_t seq = 1; seq < 200; ++seq) {
    from.send_to(leg, rtp(seq, fill));
    auto got = to.receive(50);
    if (got.size() == 172 && got[20] == fill && got[0] == 0x80) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("two anchors carry a call's RTP both ways, as SRTP over ICE, and release it") {
  media::media_anchor a({}, loopback_ice(), {});
  media::media_anchor b({}, loopback_ice(), {});
  udp_socket alice;
  udp_socket bob;

  // alice's INVITE at A, toward daemon B.
  const auto offer =
      a.rewrite({"call-1", sip::sdp_direction::toward_callee, true, 0}, phone_sdp(alice.port));
  REQUIRE(offer);
  CHECK(offer->find("RTP/SAVP 0 101") != std::string::npos);
  CHECK(offer->find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != std::string::npos);
  CHECK(offer->find("a=ice-ufrag:") != std::string::npos);
  CHECK(offer->find("a=candidate:") != std::string::npos);
  CHECK(offer->find("a=rtcp-mux") != std::string::npos);
  CHECK(offer->find("telephone-event/8000") != std::string::npos);
  CHECK(offer->find(std::to_string(alice.port)) == std::string::npos);

  // The same INVITE at B, toward bob: plain RTP at B's address, no keys.
  const auto at_bob = b.rewrite({"call-1", sip::sdp_direction::toward_callee, false, 0}, *offer);
  REQUIRE(at_bob);
  CHECK(at_bob->find("RTP/AVP 0 101") != std::string::npos);
  CHECK(at_bob->find("crypto") == std::string::npos);
  CHECK(at_bob->find("candidate") == std::string::npos);
  CHECK(at_bob->find("ice-") == std::string::npos);
  CHECK(at_bob->find("c=IN IP4 127.0.0.1") != std::string::npos);
  CHECK(at_bob->find("a=fmtp:101 0-16") != std::string::npos);
  const auto leg_b = first_port(*at_bob);

  // bob's 200 at B, toward A; then at A, toward alice.
  const auto answer =
      b.rewrite({"call-1", sip::sdp_direction::toward_caller, false, 200}, phone_sdp(bob.port));
  REQUIRE(answer);
  CHECK(answer->find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != std::string::npos);
  const auto at_alice =
      a.rewrite({"call-1", sip::sdp_direction::toward_caller, true, 200}, *answer);
  REQUIRE(at_alice);
  CHECK(at_alice->find("crypto") == std::string::npos);
  const auto leg_a = first_port(*at_alice);
  CHECK(leg_a != leg_b);

  CHECK(carries(alice, leg_a, bob, 0x5a));
  CHECK(carries(bob, leg_b, alice, 0xa5));

  const auto ra = reports_of(a);
  REQUIRE(ra.size() == 1);
  CHECK(ra[0].confirmed);
  REQUIRE(ra[0].streams.size() == 1);
  const auto& s = ra[0].streams[0];
  CHECK(s.srtp);
  REQUIRE(s.pair);
  CHECK(s.pair->local.type == nat::ice_candidate_type::host);
  CHECK(s.from_phone.packets > 0);
  CHECK(s.from_far.packets > 0);

  // Another daemon answering the same offer (a fork elsewhere): its ICE and
  // key are ignored, the call's media keeps flowing.
  {
    media::media_anchor c({}, loopback_ice(), {});
    udp_socket carol;
    REQUIRE(c.rewrite({"call-1", sip::sdp_direction::toward_callee, false, 0}, *offer));
    const auto fork_answer =
        c.rewrite({"call-1", sip::sdp_direction::toward_caller, false, 200}, phone_sdp(carol.port));
    REQUIRE(fork_answer);
    REQUIRE(a.rewrite({"call-1", sip::sdp_direction::toward_caller, true, 200}, *fork_answer));
    CHECK(carries(alice, leg_a, bob, 0x3c));
    CHECK(carries(bob, leg_b, alice, 0xc3));
  }

  // A 2xx retransmission (a stray response: where it came from is not
  // known) is rewritten like the first, so no key reaches a phone.
  const auto again_at_alice =
      a.rewrite({"call-1", sip::sdp_direction::toward_caller, false, 200, false, true}, *answer);
  REQUIRE(again_at_alice);
  CHECK(again_at_alice->find("crypto") == std::string::npos);
  CHECK(first_port(*again_at_alice) == leg_a);
  const auto again_from_bob = b.rewrite(
      {"call-1", sip::sdp_direction::toward_caller, false, 200, false, true}, phone_sdp(bob.port));
  REQUIRE(again_from_bob);
  CHECK(again_from_bob->find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != std::string::npos);

  // A failed re-INVITE keeps the confirmed call; the BYE ends it.
  a.dialog_ended("call-1", true);
  CHECK(reports_of(a).size() == 1);
  a.dialog_ended("call-1", false);
  b.dialog_ended("call-1", false);
  CHECK(reports_of(a).empty());
  CHECK(reports_of(b).empty());
  CHECK(port_free(leg_a));
  CHECK(port_free(leg_b));
}

TEST_CASE("a late offer (an INVITE without SDP) is anchored: the offer in the 200, the answer in the ACK") {
  media::media_anchor a({}, loopback_ice(), {});
  media::media_anchor b({}, loopback_ice(), {});
  udp_socket alice;
  udp_socket bob;
  auto response = [](bool remote, bool upstream_daemon) {
    sip::sdp_context c{"late-1", sip::sdp_direction::toward_caller, remote, 200};
    c.late_offer = true;
    c.upstream_daemon = upstream_daemon;
    return c;
  };

  // alice's INVITE had no SDP; bob's 200 at B carries the offer toward A.
  const auto offer = b.rewrite(response(false, true), phone_sdp(bob.port));
  REQUIRE(offer);
  CHECK(offer->find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != std::string::npos);
  CHECK(offer->find("a=candidate:") != std::string::npos);
  CHECK(offer->find(std::to_string(bob.port)) == std::string::npos);
  // At A, toward alice: plain RTP at A's address, no keys.
  const auto at_alice = a.rewrite(response(true, false), *offer);
  REQUIRE(at_alice);
  CHECK(at_alice->find("crypto") == std::string::npos);
  CHECK(at_alice->find("candidate") == std::string::npos);
  const auto leg_a = first_port(*at_alice);

  // alice's ACK carries the answer: at A toward B, then at B toward bob.
  const auto answer = a.rewrite({"late-1", sip::sdp_direction::toward_callee, true, 0, true},
                                phone_sdp(alice.port));
  REQUIRE(answer);
  CHECK(answer->find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != std::string::npos);
  CHECK(answer->find(std::to_string(alice.port)) == std::string::npos);
  const auto at_bob =
      b.rewrite({"late-1", sip::sdp_direction::toward_callee, false, 0, true}, *answer);
  REQUIRE(at_bob);
  CHECK(at_bob->find("crypto") == std::string::npos);
  const auto leg_b = first_port(*at_bob);

  CHECK(carries(alice, leg_a, bob, 0x6b));
  CHECK(carries(bob, leg_b, alice, 0xb6));
  a.dialog_ended("late-1", false);
  b.dialog_ended("late-1", false);
  CHECK(reports_of(a).empty());
  CHECK(reports_of(b).empty());
}

TEST_CASE("a late offer between two phones of one daemon passes untouched") {
  media::media_anchor a({}, loopback_ice(), {});
  sip::sdp_context from_phone{"local-late", sip::sdp_direction::toward_caller, false, 200};
  from_phone.late_offer = true;  // the INVITE came from a phone of this daemon
  const auto plain = phone_sdp(4004);
  CHECK(a.rewrite(from_phone, plain) == plain);
  CHECK(a.rewrite({"local-late", sip::sdp_direction::toward_callee, false, 0, true}, plain) ==
        plain);
  CHECK(reports_of(a).empty());
}

TEST_CASE("SDP that is not anchored passes untouched; SDP that cannot be read is refused") {
  media::media_anchor_config never;
  never.mode = media::anchor_mode::never;
  media::media_anchor a({}, loopback_ice(), {});
  media::media_anchor n(never, loopback_ice(), {});
  const auto plain = phone_sdp(4000);

  // Between two phones of one daemon.
  CHECK(a.rewrite({"local", sip::sdp_direction::toward_callee, false, 0}, plain) == plain);
  CHECK(a.rewrite({"local", sip::sdp_direction::toward_caller, false, 200}, plain) == plain);
  // An ACK's SDP (a late offer's answer) starts nothing.
  CHECK(a.rewrite({"late", sip::sdp_direction::toward_callee, true, 0, true}, plain) == plain);
  // media.anchor never: a phone's offer toward another daemon.
  CHECK(n.rewrite({"never", sip::sdp_direction::toward_callee, true, 0}, plain) == plain);
  CHECK(reports_of(a).empty());
  CHECK(reports_of(n).empty());

  // Unreadable SDP is refused (the front answers 488), nothing anchored.
  CHECK_FALSE(
      a.rewrite({"bad", sip::sdp_direction::toward_callee, true, 0}, "v=0\r\nm=nonsense\r\n"));
  CHECK(reports_of(a).empty());

  // A far daemon's plain answer to an anchored offer is refused: its phone's
  // address would bypass the anchor.
  REQUIRE(a.rewrite({"half", sip::sdp_direction::toward_callee, true, 0}, plain));
  CHECK_FALSE(a.rewrite({"half", sip::sdp_direction::toward_caller, true, 200}, phone_sdp(4002)));
  // media.anchor never still terminates what a far daemon anchored: no key
  // reaches the phone.
  const auto anchored = a.rewrite({"keys", sip::sdp_direction::toward_callee, true, 0}, plain);
  REQUIRE(anchored);
  const auto at_phone = n.rewrite({"keys", sip::sdp_direction::toward_callee, false, 0}, *anchored);
  REQUIRE(at_phone);
  CHECK(at_phone->find("crypto") == std::string::npos);
  CHECK(at_phone->find("RTP/AVP") != std::string::npos);
}

TEST_CASE(
    "a call that finds no phone-facing port free is refused; the port comes back at its end") {
  // One even port with its neighbour free, for a range of one pair.
  std::uint16_t first = 0;
  for (std::uint16_t p = 41000; p < 60000 && !first; p += 2)
    if (port_free(p) && port_free(static_cast<std::uint16_t>(p + 1))) first = p;
  REQUIRE(first != 0);
  media::media_anchor_config one_pair;
  one_pair.port_min = first;
  one_pair.port_max = static_cast<std::uint16_t>(first + 1);
  media::media_anchor a({}, loopback_ice(), {});
  media::media_anchor b(one_pair, loopback_ice(), {});
  const auto offer1 =
      a.rewrite({"c1", sip::sdp_direction::toward_callee, true, 0}, phone_sdp(4000));
  const auto offer2 =
      a.rewrite({"c2", sip::sdp_direction::toward_callee, true, 0}, phone_sdp(4002));
  REQUIRE(offer1);
  REQUIRE(offer2);
  const auto at_phone1 = b.rewrite({"c1", sip::sdp_direction::toward_callee, false, 0}, *offer1);
  REQUIRE(at_phone1);
  CHECK(first_port(*at_phone1) == first);
  CHECK_FALSE(b.rewrite({"c2", sip::sdp_direction::toward_callee, false, 0}, *offer2));
  b.dialog_ended("c1", false);
  b.dialog_ended("c2", false);
  const auto at_phone2 = b.rewrite({"c2", sip::sdp_direction::toward_callee, false, 0}, *offer2);
  REQUIRE(at_phone2);
  CHECK(first_port(*at_phone2) == first);
}
