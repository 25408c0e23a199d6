#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "overlay/fragment_reassembler.hpp"
#include "overlay/fragmentation.hpp"
#include "overlay/sim/event_scheduler.hpp"
#include "overlay_test_util.hpp"
#include "wire/message.hpp"

using namespace p2psip;
using namespace p2psip::overlay;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::size_t big = 1u << 20;

// A real message of exactly `size` bytes from node 1 to node 2.
wire::message sample_message(std::size_t size, std::uint64_t via = 1, std::uint8_t fill = 0x5a) {
  wire::message m;
  m.header.overlay = wire::overlay_hash{0xfeed};
  m.header.transaction_id = wire::transaction_id{0x0123456789abcdefULL};
  m.header.via_list = {wire::destination::node(test::id(via))};
  m.header.destination_list = {wire::destination::node(test::id(2))};
  m.contents.code = wire::message_code::store_req;
  const std::size_t empty = wire::to_bytes(m)->size();
  REQUIRE(size >= empty);
  m.contents.body.assign(size - empty, fill);
  for (std::size_t i = 0; i < m.contents.body.size(); i += 7) m.contents.body[i] = std::uint8_t(i);
  m.header.length = static_cast<std::uint32_t>(size);  // as decode_message gives it back
  return m;
}

// The message cut for a link of `link` bytes.
std::vector<bytes> cut(const wire::message& m, std::size_t link) {
  const auto whole = wire::to_bytes(m);
  REQUIRE(whole);
  const auto parts = wire::decode_forwarding_part(*whole, big);
  REQUIRE(parts);
  auto out = fragment_message(parts->header, parts->payload, link);
  REQUIRE(out);
  return std::move(out).value();
}

std::optional<bytes> feed(fragment_reassembler& r, const bytes& fragment, time_point now) {
  const auto parts = wire::decode_forwarding_part(fragment, big);
  REQUIRE(parts);
  return r.add(*parts, now);
}

}  // namespace

TEST_CASE("a 3000-byte message cut at 1200 comes back whole from fragments out of order") {
  const auto original = sample_message(3000);
  const auto fragments = cut(original, 1200);
  REQUIRE(fragments.size() == 3);
  fragment_reassembler r;
  CHECK_FALSE(feed(r, fragments[2], {}));
  CHECK_FALSE(feed(r, fragments[0], {}));
  CHECK(r.partial_messages() == 1);
  const auto whole = feed(r, fragments[1], {});
  REQUIRE(whole);
  CHECK(*whole == *wire::to_bytes(original));  // byte for byte
  const auto decoded = wire::decode_message(*whole, 5000);
  REQUIRE(decoded);
  CHECK(*decoded == original);
  CHECK(r.stats().completed == 1);
  CHECK(r.partial_messages() == 0);
  CHECK(r.buffered_bytes() == 0);
}

TEST_CASE("the reassembled header takes the lowest TTL seen") {
  const auto original = sample_message(3000);
  auto fragments = cut(original, 1200);
  fragment_reassembler r;
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    auto parts = wire::decode_forwarding_part(fragments[i], big);
    REQUIRE(parts);
    parts->header.ttl = static_cast<std::uint8_t>(80 - i * 10);
    const auto whole = r.add(*parts, {});
    CHECK(whole.has_value() == (i + 1 == fragments.size()));
    if (whole) CHECK(wire::decode_message(*whole, 5000)->header.ttl == 60);
  }
}

TEST_CASE("duplicates and consistent overlaps from another cut are absorbed") {
  const auto original = sample_message(3000);
  const auto coarse = cut(original, 1200);  // 3 fragments
  const auto fine = cut(original, 700);     // 5 fragments, other boundaries
  REQUIRE(fine.size() == 5);
  fragment_reassembler r;
  CHECK_FALSE(feed(r, coarse[0], {}));
  CHECK_FALSE(feed(r, coarse[0], {}));
  CHECK(r.stats().duplicate_fragments == 1);
  // Bytes [0, 976), then [586, 1171), [2341, 2926) (the end), [976, 1951).
  CHECK_FALSE(feed(r, fine[1], {}));
  CHECK_FALSE(feed(r, fine[4], {}));
  CHECK_FALSE(feed(r, coarse[1], {}));
  CHECK(r.partial_messages() == 1);
  const auto whole = feed(r, fine[3], {});  // [1756, 2341) fills the last gap
  REQUIRE(whole);
  CHECK(*whole == *wire::to_bytes(original));
  CHECK(r.stats().duplicate_fragments == 1);
  CHECK(r.buffered_bytes() == 0);
}

TEST_CASE("an overlap that disagrees drops the message") {
  const auto original = sample_message(3000);
  const auto fragments = cut(original, 1200);
  const auto other = cut(sample_message(3000, 1, 0xa5), 700);  // same key, other bytes
  fragment_reassembler r;
  CHECK_FALSE(feed(r, fragments[0], {}));
  CHECK_FALSE(feed(r, other[1], {}));
  CHECK(r.stats().dropped == 1);
  CHECK(r.partial_messages() == 0);
  CHECK(r.buffered_bytes() == 0);

  SECTION("as do two last fragments that end in different places") {
    CHECK_FALSE(feed(r, fragments[2], {}));
    CHECK_FALSE(feed(r, cut(sample_message(2990), 1200)[2], {}));
    CHECK(r.stats().dropped == 2);
    CHECK(r.partial_messages() == 0);
  }
}

TEST_CASE("a request and its response with one transaction id do not mix") {
  const auto request = sample_message(3000, 1, 0x11);
  auto response = sample_message(3000, 9, 0x22);  // another Via List
  const auto a = cut(request, 1200);
  const auto b = cut(response, 1200);
  REQUIRE(a.size() == b.size());
  fragment_reassembler r;
  for (std::size_t i = 0; i + 1 < a.size(); ++i) {
    CHECK_FALSE(feed(r, a[i], {}));
    CHECK_FALSE(feed(r, b[i], {}));
  }
  CHECK(r.partial_messages() == 2);
  CHECK(*feed(r, b.back(), {}) == *wire::to_bytes(response));
  CHECK(*feed(r, a.back(), {}) == *wire::to_bytes(request));
  CHECK(r.stats().dropped == 0);
}

TEST_CASE("a fragment reaching past max-message-size drops its message") {
  fragment_reassembler r({.max_message_size = 2000});
  const auto fragments = cut(sample_message(3000), 1200);
  CHECK_FALSE(feed(r, fragments[0], {}));  // ends at byte 1050: kept
  CHECK(r.partial_messages() == 1);
  CHECK_FALSE(feed(r, fragments[2], {}));  // ends at byte 3000
  CHECK(r.partial_messages() == 0);
  CHECK(r.stats().dropped == 1);
  CHECK(r.buffered_bytes() == 0);
}

TEST_CASE("memory caps refuse what does not fit") {
  const auto a = cut(sample_message(3000, 1), 1200);
  const auto b = cut(sample_message(3000, 3), 1200);

  SECTION("the byte cap across partial messages") {
    // A's first two fragments hold 74 + 976 + 975 = 2025 bytes; B's first
    // would bring 74 + 976 more.
    fragment_reassembler r({.max_buffered_bytes = 3050});
    CHECK_FALSE(feed(r, a[0], {}));
    CHECK_FALSE(feed(r, a[1], {}));
    CHECK(r.buffered_bytes() == 2025);
    CHECK_FALSE(feed(r, b[0], {}));
    CHECK(r.stats().dropped == 1);
    CHECK(r.stats().discarded_fragments == 1);
    CHECK(r.partial_messages() == 1);
    CHECK(feed(r, a[2], {}));  // 3000 bytes fit
    CHECK(r.buffered_bytes() == 0);
    CHECK_FALSE(feed(r, b[0], {}));  // room again
    CHECK(r.partial_messages() == 1);
  }
  SECTION("a partial message that would outgrow the cap is dropped") {
    fragment_reassembler r({.max_buffered_bytes = 2500});
    CHECK_FALSE(feed(r, a[0], {}));
    CHECK_FALSE(feed(r, a[1], {}));
    CHECK_FALSE(feed(r, a[2], {}));
    CHECK(r.stats().dropped == 1);
    CHECK(r.stats().completed == 0);
    CHECK(r.partial_messages() == 0);
    CHECK(r.buffered_bytes() == 0);
  }
  SECTION("the cap on partial messages") {
    fragment_reassembler r({.max_partial_messages = 1});
    CHECK_FALSE(feed(r, a[0], {}));
    CHECK_FALSE(feed(r, b[0], {}));
    CHECK(r.partial_messages() == 1);
    CHECK(r.stats().dropped == 1);
  }
}

TEST_CASE("incomplete messages time out after the maximum request lifetime") {
  sim::event_scheduler clock;
  fragment_reassembler r;
  const auto fragments = cut(sample_message(3000), 1200);
  CHECK_FALSE(feed(r, fragments[0], clock.now()));
  clock.run_for(14s);
  CHECK_FALSE(feed(r, fragments[1], clock.now()));
  CHECK(r.expire(clock.now() + 999ms) == 0);
  CHECK(r.partial_messages() == 1);
  clock.run_for(1s);  // 15 s after the first fragment
  CHECK(r.expire(clock.now()) == 1);
  CHECK(r.stats().timed_out == 1);
  CHECK(r.partial_messages() == 0);
  CHECK(r.buffered_bytes() == 0);
  // The last fragment alone now starts a new message, which cannot complete.
  CHECK_FALSE(feed(r, fragments[2], clock.now()));
  CHECK(r.partial_messages() == 1);

  SECTION("add() expires on its own") {
    clock.run_for(15s);
    CHECK_FALSE(feed(r, fragments[0], clock.now()));
    CHECK(r.stats().timed_out == 2);
    CHECK(r.partial_messages() == 1);
  }
}

TEST_CASE("a message spread over almost the whole lifetime still completes") {
  sim::event_scheduler clock;
  fragment_reassembler r;
  const auto original = sample_message(3000);
  const auto fragments = cut(original, 1200);
  CHECK_FALSE(feed(r, fragments[1], clock.now()));
  clock.run_for(7s);
  CHECK_FALSE(feed(r, fragments[0], clock.now()));
  clock.run_for(7999ms);
  const auto whole = feed(r, fragments[2], clock.now());
  REQUIRE(whole);
  CHECK(*whole == *wire::to_bytes(original));
}

TEST_CASE("an unfragmented message passes straight through") {
  const auto original = sample_message(900);
  const auto fragments = cut(original, 1200);
  REQUIRE(fragments.size() == 1);
  fragment_reassembler r;
  const auto whole = feed(r, fragments[0], {});
  REQUIRE(whole);
  CHECK(*whole == *wire::to_bytes(original));
  CHECK(r.partial_messages() == 0);
}
