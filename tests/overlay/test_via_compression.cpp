#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <vector>

#include "overlay/sim/event_scheduler.hpp"
#include "overlay/via_compression.hpp"
#include "overlay_test_util.hpp"
#include "wire/forwarding_header.hpp"

using namespace p2psip;
using namespace p2psip::overlay;
using namespace std::chrono_literals;

namespace {

std::vector<wire::destination> via(std::initializer_list<int> hops) {
  std::vector<wire::destination> list;
  for (const auto hop : hops)
    list.push_back(wire::destination::node(test::id(static_cast<uint128>(hop))));
  return list;
}

// Random bits from a fixed list, for ids that can be predicted in a test.
via_compressor::random_source scripted(std::vector<std::uint64_t> draws) {
  return [draws = std::move(draws), next = std::size_t{0}]() mutable {
    return draws.at(next++ % draws.size());
  };
}

}  // namespace

TEST_CASE("a compressed Via List expands back to the list") {
  via_compressor compressor;
  const auto list = via({1, 2, 3});
  const auto id = compressor.compress(list, {});
  REQUIRE(id);
  CHECK((id->value & 0x8000) != 0);
  CHECK(compressor.expand(*id, {}) == list);
  CHECK(compressor.size() == 1);
  CHECK(compressor.bytes() == 3 * 18);

  SECTION("it travels as a one-entry Via List and comes back as a Destination") {
    wire::forwarding_header h;
    h.via_list = {wire::destination{*id}};
    const auto encoded = wire::to_bytes(h);
    REQUIRE(encoded);
    wire::byte_reader r(*encoded);
    wire::forwarding_header back;
    decode(r, back);
    REQUIRE(r.ok());
    const auto* compressed = std::get_if<wire::compressed_id>(&back.via_list.at(0).value);
    REQUIRE(compressed);
    CHECK(compressor.expand(*compressed, {}) == list);
  }
}

TEST_CASE("saved lists last the configured lifetime") {
  sim::event_scheduler clock;
  via_compressor compressor({.lifetime = 3s});
  const auto id = compressor.compress(via({1, 2}), clock.now());
  REQUIRE(id);
  clock.run_for(2999ms);
  CHECK(compressor.expand(*id, clock.now()) == via({1, 2}));
  clock.run_for(1ms);
  CHECK_FALSE(compressor.expand(*id, clock.now()));
  CHECK(compressor.expire(clock.now()) == 1);
  CHECK(compressor.size() == 0);
  CHECK(compressor.bytes() == 0);
}

TEST_CASE("an id never handed out expands to nothing") {
  via_compressor compressor({}, scripted({0x1234}));
  REQUIRE(compressor.compress(via({1}), {})->value == 0x9234);
  CHECK_FALSE(compressor.expand(wire::compressed_id{0x9235}, {}));
  CHECK_FALSE(compressor.expand(wire::compressed_id{0x8000}, {}));
}

TEST_CASE("ids are drawn at random, not in sequence") {
  via_compressor compressor;
  std::set<std::uint16_t> ids;
  int sequential = 0;
  std::uint16_t previous = 0;
  for (int i = 0; i < 200; ++i) {
    const auto id = compressor.compress(via({1}), {});
    REQUIRE(id);
    CHECK((id->value & 0x8000) != 0);
    if (id->value == previous + 1) ++sequential;
    previous = id->value;
    ids.insert(id->value);
  }
  CHECK(ids.size() == 200);  // all live at once, so all distinct
  CHECK(sequential < 5);
}

TEST_CASE("a drawn id still in use is passed over") {
  // One draw gives four 15-bit ids, low bits first.
  via_compressor compressor({}, scripted({0x0005000600070007}));
  CHECK(compressor.compress(via({1}), {})->value == 0x8007);
  CHECK(compressor.compress(via({2}), {})->value == 0x8006);  // 0x8007 is taken
  CHECK(compressor.compress(via({3}), {})->value == 0x8005);
  CHECK_FALSE(compressor.compress(via({4}), {}));  // the script has nothing else
  CHECK(compressor.expand(wire::compressed_id{0x8006}, {}) == via({2}));
}

TEST_CASE("a full table declines until its lists expire") {
  sim::event_scheduler clock;
  SECTION("by entries") {
    via_compressor compressor({.lifetime = 3s, .max_entries = 2});
    CHECK(compressor.compress(via({1}), clock.now()));
    CHECK(compressor.compress(via({2}), clock.now()));
    CHECK_FALSE(compressor.compress(via({3}), clock.now()));
    clock.run_for(3s);
    CHECK(compressor.compress(via({3}), clock.now()));
    CHECK(compressor.size() == 1);
  }
  SECTION("by bytes") {
    via_compressor compressor({.lifetime = 3s, .max_bytes = 3 * 18});
    CHECK(compressor.compress(via({1, 2}), clock.now()));
    CHECK_FALSE(compressor.compress(via({3, 4}), clock.now()));
    CHECK(compressor.compress(via({5}), clock.now()));
    CHECK(compressor.bytes() == 3 * 18);
  }
}
