// ACK generation, sender bookkeeping and RTO estimation, under a manual clock.
#include <catch2/catch.hpp>

#include "link/ack_generator.hpp"
#include "link/rtt_estimator.hpp"
#include "link/send_tracker.hpp"

using namespace p2psip::link;
using namespace std::chrono_literals;
using p2psip::wire::framed_ack;

TEST_CASE("ack_generator: the first frame has an empty bitmask") {
  ack_generator acks;
  CHECK(acks.on_data(0) == framed_ack{0, 0});
}

TEST_CASE("ack_generator: bit N-M is set for each M in (N-32, N) among the last 32 received") {
  ack_generator acks;
  SECTION("in order") {
    for (std::uint32_t seq = 0; seq < 5; ++seq) acks.on_data(seq);
    CHECK(acks.on_data(5).received == 0b111110);
  }
  SECTION("a full window: bit 0 is never set, M = N-32 is excluded") {
    for (std::uint32_t seq = 0; seq < 39; ++seq) acks.on_data(seq);
    CHECK(acks.on_data(39).received == 0xfffffffe);
  }
  SECTION("gaps leave zeros") {
    acks.on_data(0);
    acks.on_data(2);
    CHECK(acks.on_data(5) == framed_ack{5, (1u << 3) | (1u << 5)});
  }
  SECTION("later sequences and duplicates do not count") {
    acks.on_data(10);
    CHECK(acks.on_data(8).received == 0);
    CHECK(acks.on_data(9).received == 0b10);  // 10 is later, 8 is one before
    CHECK(acks.on_data(9).received == 0b10);  // the earlier 9 is not "less than"
  }
  SECTION("only the 32 most recent are remembered") {
    for (std::uint32_t seq = 0; seq < 32; ++seq) acks.on_data(seq);
    acks.on_data(1000);  // evicts 0
    CHECK(acks.on_data(20).received == 0x000ffffe);  // 1..19; bit 20 (for 0) is gone
  }
}

TEST_CASE("rtt_estimator follows RFC 6298 section 2") {
  rtt_estimator rtt({.initial = 1000ms, .minimum = 1ms, .maximum = 60000ms});
  CHECK_FALSE(rtt.smoothed_rtt());
  CHECK(rtt.rto() == 1000ms);
  rtt.add_sample(100ms);  // (2.2): SRTT 100, RTTVAR 50
  CHECK(*rtt.smoothed_rtt() == 100ms);
  CHECK(rtt.rto() == 300ms);
  rtt.add_sample(200ms);  // (2.3): RTTVAR 62.5, SRTT 112.5
  CHECK(rtt.rtt_variation() == 62500us);
  CHECK(*rtt.smoothed_rtt() == 112500us);
  CHECK(rtt.rto() == 363ms);  // 362.5 rounded up to the millisecond

  rtt_estimator clamped({.initial = 1000ms, .minimum = 200ms, .maximum = 250ms});
  clamped.add_sample(1ms);
  CHECK(clamped.rto() == 200ms);
  clamped.add_sample(10s);
  CHECK(clamped.rto() == 250ms);
}

TEST_CASE("send_tracker numbers frames from 0 and measures RTT from ACKs") {
  const link_time t0{};
  send_tracker sender({.initial = 1000ms, .minimum = 1ms, .maximum = 60000ms}, 64);
  CHECK(sender.on_send(t0) == 0);
  CHECK(sender.on_send(t0 + 1ms) == 1);
  CHECK(sender.on_send(t0 + 2ms) == 2);
  CHECK(*sender.oldest_unacked_since() == t0);

  CHECK(sender.on_ack({0, 0}, t0 + 10ms) == ack_outcome::acknowledged);
  CHECK(*sender.rtt().smoothed_rtt() == 10ms);
  CHECK(sender.unacked() == 2);
  CHECK(*sender.oldest_unacked_since() == t0 + 1ms);

  // The bitmask confirms 1 without an RTT sample of its own.
  CHECK(sender.on_ack({2, 0b10}, t0 + 12ms) == ack_outcome::acknowledged);
  CHECK(sender.unacked() == 0);
  CHECK_FALSE(sender.oldest_unacked_since());
  CHECK(sender.unknown_acks() == 0);
}

TEST_CASE("send_tracker counts and ignores ACKs for unknown sequences") {
  const link_time t0{};
  send_tracker sender({}, 64);
  sender.on_send(t0);
  sender.on_send(t0);
  CHECK(sender.on_ack({7, 0xffffffff}, t0 + 1ms) == ack_outcome::unknown);  // never sent
  CHECK(sender.unknown_acks() == 1);
  CHECK(sender.unacked() == 2);
  CHECK_FALSE(sender.rtt().smoothed_rtt());

  CHECK(sender.on_ack({0, 0}, t0 + 1ms) == ack_outcome::acknowledged);
  CHECK(sender.on_ack({0, 0}, t0 + 2ms) == ack_outcome::unknown);  // already acknowledged
  CHECK(sender.unknown_acks() == 2);
  CHECK(sender.unacked() == 1);
}

TEST_CASE("send_tracker declares frames lost once the receiver's window has passed them") {
  const link_time t0{};
  send_tracker sender({}, 64);
  for (int i = 0; i <= 40; ++i) sender.on_send(t0 + std::chrono::milliseconds(i));
  // ACK for 40 reporting nothing else: 0..8 are beyond its 31-frame reach.
  CHECK(sender.on_ack({40, 0}, t0 + 50ms) == ack_outcome::acknowledged);
  CHECK(sender.lost_frames() == 9);
  CHECK(sender.unacked() == 31);
  CHECK(*sender.oldest_unacked_since() == t0 + 9ms);
}

TEST_CASE("send_tracker bounds the frames awaiting ACKs") {
  const link_time t0{};
  send_tracker sender({}, 3);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(sender.can_send());
    sender.on_send(t0);
  }
  CHECK_FALSE(sender.can_send());
  sender.on_ack({1, 0b10}, t0 + 1ms);  // acknowledges 0 and 1
  CHECK(sender.can_send());
  CHECK(sender.on_send(t0) == 3);
}
