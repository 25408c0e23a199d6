// RTP statistics on arrival times the test makes up: counts, loss over
// gaps, the 16-bit wrap, reordering and duplicates, a sender's restart, A.8
// jitter, and inactivity.
#include <catch2/catch.hpp>

#include <chrono>

#include "media/rtp_stats.hpp"

using namespace p2psip::media;
using namespace std::chrono_literals;

namespace {

const rtp_stats::time_point t0{};

// 20 ms G.711 packets: 160 timestamp units apart.
void feed(rtp_stats& s, std::uint16_t seq, unsigned index, std::chrono::microseconds late = 0us) {
  s.on_rtp(seq, 1000 + 160 * index, 172, t0 + index * 20ms + late);
}

}  // namespace

TEST_CASE("nothing yet") {
  rtp_stats s;
  const auto snap = s.snapshot();
  CHECK(snap.packets == 0);
  CHECK(snap.expected == 0);
  CHECK(snap.lost == 0);
  CHECK_FALSE(s.last_activity());
  CHECK(s.inactive(t0 + 10s, 5s, t0));
  CHECK_FALSE(s.inactive(t0 + 4s, 5s, t0));
}

TEST_CASE("a clean stream: counts, no loss, no jitter") {
  rtp_stats s;
  for (unsigned i = 0; i < 50; ++i) feed(s, static_cast<std::uint16_t>(100 + i), i);
  const auto snap = s.snapshot();
  CHECK(snap.packets == 50);
  CHECK(snap.bytes == 50 * 172);
  CHECK(snap.expected == 50);
  CHECK(snap.lost == 0);
  CHECK(snap.jitter == Approx(0).margin(1));
  REQUIRE(s.last_activity());
  CHECK(*s.last_activity() == t0 + 49 * 20ms);
}

TEST_CASE("gaps are loss, across the 16-bit wrap") {
  rtp_stats s;
  unsigned index = 0;
  for (std::uint32_t seq = 65530; seq < 65550; ++seq, ++index) {
    if (seq == 65534 || seq == 65536 || seq == 65537) continue;  // three lost
    feed(s, static_cast<std::uint16_t>(seq), index);
  }
  const auto snap = s.snapshot();
  CHECK(snap.expected == 20);
  CHECK(snap.packets == 17);
  CHECK(snap.lost == 3);
}

TEST_CASE("late and duplicate packets make up for gaps, and never count negative loss") {
  rtp_stats s;
  feed(s, 10, 0);
  feed(s, 12, 2);
  feed(s, 11, 1, 45ms);  // late
  feed(s, 13, 3);
  CHECK(s.snapshot().lost == 0);
  CHECK(s.snapshot().expected == 4);
  feed(s, 13, 3);  // duplicate
  CHECK(s.snapshot().lost == 0);
  CHECK(s.snapshot().packets == 5);
}

TEST_CASE("a jump counts only when the next packet confirms it") {
  rtp_stats s;
  for (unsigned i = 0; i < 10; ++i) feed(s, static_cast<std::uint16_t>(i), i);
  feed(s, 40000, 10);  // a stray: not believed
  CHECK(s.snapshot().expected == 10);
  CHECK(s.snapshot().lost == 0);
  feed(s, 10, 11);
  CHECK(s.snapshot().expected == 11);
  // A sender that restarts: two in a row from the new place.
  feed(s, 30000, 12);
  feed(s, 30001, 13);
  feed(s, 30002, 14);
  const auto snap = s.snapshot();
  CHECK(snap.expected == 2);  // counted afresh from 30001
  CHECK(snap.lost == 0);
  CHECK(snap.packets == 15);  // every packet still counts as traffic
}

TEST_CASE("jitter follows RFC 3550 A.8") {
  rtp_stats s(8000);
  // Every other packet 10 ms (80 units) late: |D| = 80 at each step after
  // the first, so J converges to 80 (J += (80 - J) / 16).
  for (unsigned i = 0; i < 400; ++i) {
    feed(s, static_cast<std::uint16_t>(i), i, i % 2 ? 10ms : 0ms);
  }
  const auto snap = s.snapshot();
  CHECK(snap.jitter == Approx(80).epsilon(0.01));
  CHECK(snap.jitter_ms == Approx(10).epsilon(0.01));

  // The first steps, by hand: J1 = 80/16 = 5, J2 = 5 + (80 - 5)/16.
  rtp_stats t(8000);
  feed(t, 0, 0);
  feed(t, 1, 1, 10ms);
  CHECK(t.snapshot().jitter == Approx(5));
  feed(t, 2, 2);
  CHECK(t.snapshot().jitter == Approx(5 + 75.0 / 16));
}

TEST_CASE("jitter survives the RTP timestamp's wrap") {
  rtp_stats s(8000);
  for (unsigned i = 0; i < 100; ++i) {
    const std::uint32_t ts = 0xFFFFF000u + 160u * i;  // wraps after ~26 packets
    s.on_rtp(static_cast<std::uint16_t>(i), ts, 172, t0 + i * 20ms);
  }
  CHECK(s.snapshot().jitter == Approx(0).margin(1));
}

TEST_CASE("RTCP counts as activity; inactivity from the last packet") {
  rtp_stats s;
  feed(s, 1, 0);
  s.on_rtcp(80, t0 + 3s);
  CHECK(s.snapshot().rtcp_packets == 1);
  CHECK(s.snapshot().rtcp_bytes == 80);
  CHECK(*s.last_activity() == t0 + 3s);
  CHECK_FALSE(s.inactive(t0 + 7s, 5s, t0));
  CHECK(s.inactive(t0 + 8s, 5s, t0));
}

TEST_CASE("a zero clock rate is taken as 8000") {
  rtp_stats s(0);
  feed(s, 0, 0);
  feed(s, 1, 1, 10ms);
  CHECK(s.snapshot().jitter_ms == Approx(5.0 / 8));
}
