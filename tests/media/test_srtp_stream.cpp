// SRTP between two daemons: what one protects the other unprotects, RTP and
// RTCP, both suites; the bytes on the wire are libsrtp's reference vector
// (with OpenSSL's AES-CM and HMAC-SHA1 in place of the library's); tampering, replay, the wrong key
// and truncation are refused, and a refused packet does not disturb the ones after it; streams made
// on several threads at once (srtp_init runs once).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "media/srtp_stream.hpp"

using namespace p2psip::media;

namespace {

std::vector<std::uint8_t> rtp_packet(std::uint16_t sequence, std::size_t payload = 160) {
  std::vector<std::uint8_t> p = {0x80,
                                 0x00,
                                 static_cast<std::uint8_t>(sequence >> 8),
                                 static_cast<std::uint8_t>(sequence),
                                 0,
                                 0,
                                 0x01,
                                 0x40,
                                 0x12,
                                 0x34,
                                 0x56,
                                 0x78};
  for (std::size_t i = 0; i < payload; ++i) p.push_back(static_cast<std::uint8_t>(i));
  return p;
}

// A receiver report with no blocks: V=2, PT=201, length 1 (8 bytes).
std::vector<std::uint8_t> rtcp_packet() { return {0x80, 201, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78}; }

// Two ends of one call: a's outbound key is b's inbound and the other way.
struct call {
  sdes_crypto a_key;
  sdes_crypto b_key;
  srtp_stream a;
  srtp_stream b;
  explicit call(srtp_suite suite = srtp_suite::aes_cm_128_hmac_sha1_80)
      : a_key(fresh_sdes_crypto(1, suite)),
        b_key(fresh_sdes_crypto(1, suite)),
        a(std::move(srtp_stream::create(a_key, b_key).value())),
        b(std::move(srtp_stream::create(b_key, a_key).value())) {}
};

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

}  // namespace

// libsrtp's own AES_CM_128_HMAC_SHA1_80 test vector (test/srtp_driver.c):
// master key e1f97a0d..., SSRC cafebabe, sequence 0x1234. The same bytes
// came out of Debian's NSS-based libsrtp2 before the crypto was moved to
// OpenSSL, so daemons of either build still talk to each other.
TEST_CASE("known answer: the reference RTP and RTCP packets, both ways") {
  const auto key = parse_sdes_crypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm");
  REQUIRE(key);
  auto sender = srtp_stream::create(*key, fresh_sdes_crypto()).value();
  auto receiver = srtp_stream::create(fresh_sdes_crypto(), *key).value();

  const auto rtp = from_hex("800f1234decafbadcafebabeabababababababababababababababab");
  auto packet = rtp;
  REQUIRE(sender.protect(packet) == srtp_outcome::ok);
  CHECK(packet ==
        from_hex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb"));
  REQUIRE(receiver.unprotect(packet) == srtp_outcome::ok);
  CHECK(packet == rtp);

  const auto rtcp = from_hex("81c8000bcafebabeabababababababababababababababababababab");
  auto report = rtcp;
  REQUIRE(sender.protect_rtcp(report) == srtp_outcome::ok);
  CHECK(report == from_hex("81c8000bcafebabe7128035be487b9bdbef89041f977a5a8d5efb881"
                           "800000014d53b7c95810cebba77f"));
  REQUIRE(receiver.unprotect_rtcp(report) == srtp_outcome::ok);
  CHECK(report == rtcp);
}

TEST_CASE("RTP and RTCP round trip, both suites") {
  for (auto suite : {srtp_suite::aes_cm_128_hmac_sha1_80, srtp_suite::aes_cm_128_hmac_sha1_32}) {
    call c(suite);
    for (std::uint16_t seq = 65530; seq != 5; ++seq) {  // across the 16-bit wrap
      const auto plain = rtp_packet(seq);
      auto packet = plain;
      REQUIRE(c.a.protect(packet) == srtp_outcome::ok);
      CHECK(packet.size() ==
            plain.size() + (suite == srtp_suite::aes_cm_128_hmac_sha1_80 ? 10 : 4));
      CHECK(packet != plain);
      REQUIRE(c.b.unprotect(packet) == srtp_outcome::ok);
      CHECK(packet == plain);
    }
    auto report = rtcp_packet();
    REQUIRE(c.b.protect_rtcp(report) == srtp_outcome::ok);
    CHECK(report.size() == rtcp_packet().size() + 4 + 10);  // SRTCP index, 80-bit tag
    REQUIRE(c.a.unprotect_rtcp(report) == srtp_outcome::ok);
    CHECK(report == rtcp_packet());
  }
}

TEST_CASE("the span interface works in place and wants room for the tag") {
  call c;
  auto packet = rtp_packet(1);
  const auto plain = packet;
  std::size_t size = packet.size();
  CHECK(c.a.protect(packet, size) == srtp_outcome::malformed);  // no room
  packet.resize(plain.size() + srtp_stream::max_trailer);
  REQUIRE(c.a.protect(packet, size) == srtp_outcome::ok);
  CHECK(size > plain.size());
  REQUIRE(c.b.unprotect(packet, size) == srtp_outcome::ok);
  CHECK(std::vector<std::uint8_t>(packet.begin(), packet.begin() + size) == plain);
  std::size_t too_big = packet.size() + 1;
  CHECK(c.b.unprotect(packet, too_big) == srtp_outcome::malformed);
}

TEST_CASE("tampered, replayed, wrongly keyed and truncated packets are refused") {
  call c;
  auto first = rtp_packet(100);
  REQUIRE(c.a.protect(first) == srtp_outcome::ok);
  const auto protected_first = first;
  REQUIRE(c.b.unprotect(first) == srtp_outcome::ok);

  SECTION("replay") {
    auto again = protected_first;
    CHECK(c.b.unprotect(again) == srtp_outcome::replayed);
  }
  SECTION("tampered payload, header or tag") {
    std::uint16_t seq = 101;
    // Not the sequence number: a changed one may name a packet already seen.
    for (std::size_t at : {std::size_t{1}, std::size_t{20}, protected_first.size() - 1}) {
      auto next = rtp_packet(seq++);
      REQUIRE(c.a.protect(next) == srtp_outcome::ok);
      next[at] ^= 0x01;
      CHECK(c.b.unprotect(next) == srtp_outcome::auth_failed);
    }
  }
  SECTION("wrong key") {
    auto stranger = srtp_stream::create(fresh_sdes_crypto(), fresh_sdes_crypto());
    REQUIRE(stranger);
    auto next = rtp_packet(101);
    REQUIRE(c.a.protect(next) == srtp_outcome::ok);
    CHECK(stranger->unprotect(next) == srtp_outcome::auth_failed);
    auto report = rtcp_packet();
    REQUIRE(c.a.protect_rtcp(report) == srtp_outcome::ok);
    CHECK(stranger->unprotect_rtcp(report) == srtp_outcome::auth_failed);
  }
  SECTION("truncated") {
    auto next = rtp_packet(101);
    REQUIRE(c.a.protect(next) == srtp_outcome::ok);
    auto shorter = next;
    shorter.resize(shorter.size() - 4);
    CHECK(c.b.unprotect(shorter) != srtp_outcome::ok);
    for (std::size_t size : {std::size_t{0}, std::size_t{5}, std::size_t{11}}) {
      std::vector<std::uint8_t> stub(next.begin(), next.begin() + static_cast<long>(size));
      CHECK(c.b.unprotect(stub) != srtp_outcome::ok);
      CHECK(c.b.unprotect_rtcp(stub) != srtp_outcome::ok);
    }
    // The genuine packet still goes through afterwards.
    CHECK(c.b.unprotect(next) == srtp_outcome::ok);
  }
  SECTION("RTCP replay and tampering") {
    auto report = rtcp_packet();
    REQUIRE(c.a.protect_rtcp(report) == srtp_outcome::ok);
    auto tampered = report;
    tampered[5] ^= 0x80;
    CHECK(c.b.unprotect_rtcp(tampered) == srtp_outcome::auth_failed);
    auto copy = report;
    REQUIRE(c.b.unprotect_rtcp(report) == srtp_outcome::ok);
    CHECK(c.b.unprotect_rtcp(copy) == srtp_outcome::replayed);
  }
}

TEST_CASE("streams move") {
  call c;
  srtp_stream moved = std::move(c.a);
  auto packet = rtp_packet(9);
  REQUIRE(moved.protect(packet) == srtp_outcome::ok);
  CHECK(c.b.unprotect(packet) == srtp_outcome::ok);
}

TEST_CASE("streams made and used on several threads at once, one stream per thread") {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ok] {
      call c;
      auto packet = rtp_packet(1);
      if (c.a.protect(packet) == srtp_outcome::ok && c.b.unprotect(packet) == srtp_outcome::ok &&
          packet == rtp_packet(1)) {
        ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(ok == 4);
}
