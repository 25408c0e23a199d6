#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "overlay/response_cache.hpp"
#include "overlay/sim/event_scheduler.hpp"
#include "overlay_test_util.hpp"

using namespace p2psip;
using namespace p2psip::overlay;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

const wire::node_id alice = test::id(1);
const wire::node_id bob = test::id(2);

wire::transaction_id tx(std::uint64_t value) { return wire::transaction_id{value}; }

bytes seen(const request_lookup& lookup) {
  return {lookup.response.begin(), lookup.response.end()};
}

}  // namespace

TEST_CASE("a retransmission is dropped while processing and answered from the cache after") {
  response_cache cache;
  CHECK(cache.on_request(tx(1), alice, {}).state == request_state::fresh);
  CHECK(cache.on_request(tx(1), alice, {}).state == request_state::in_progress);
  CHECK(cache.stats().dropped_in_progress == 1);
  REQUIRE(cache.store_response(tx(1), alice, {4, 5, 6}, {}));
  const auto again = cache.on_request(tx(1), alice, {});
  CHECK(again.state == request_state::answered);
  CHECK(seen(again) == bytes{4, 5, 6});
  CHECK(cache.stats().resent == 1);
  CHECK(cache.bytes() == 3);

  SECTION("another originator's request with the same transaction id is new") {
    CHECK(cache.on_request(tx(1), bob, {}).state == request_state::fresh);
    CHECK(cache.size() == 2);
  }
  SECTION("forget() lets the request be processed anew") {
    CHECK(cache.forget(tx(1), alice));
    CHECK_FALSE(cache.forget(tx(1), alice));
    CHECK(cache.bytes() == 0);
    CHECK(cache.on_request(tx(1), alice, {}).state == request_state::fresh);
  }
}

TEST_CASE("entries last the maximum request lifetime, 15 s from the first copy") {
  sim::event_scheduler clock;
  response_cache cache;
  CHECK(cache.on_request(tx(1), alice, clock.now()).state == request_state::fresh);
  clock.run_for(1s);
  REQUIRE(cache.store_response(tx(1), alice, {7}, clock.now()));
  clock.run_for(13999ms);
  CHECK(cache.on_request(tx(1), alice, clock.now()).state == request_state::answered);
  clock.run_for(1ms);  // 15 s
  CHECK(cache.on_request(tx(1), alice, clock.now()).state == request_state::fresh);
  CHECK(cache.stats().expired == 1);
  CHECK(cache.bytes() == 0);
  CHECK(cache.size() == 1);

  SECTION("expire() frees them without a request") {
    clock.run_for(15s);
    CHECK(cache.expire(clock.now()) == 1);
    CHECK(cache.size() == 0);
  }
}

TEST_CASE("the entry cap evicts the oldest first") {
  response_cache cache({.max_entries = 3});
  for (std::uint64_t i = 1; i <= 4; ++i) {
    CHECK(cache.on_request(tx(i), alice, {}).state == request_state::fresh);
  }
  CHECK(cache.size() == 3);
  CHECK(cache.stats().evicted == 1);
  CHECK(cache.on_request(tx(4), alice, {}).state == request_state::in_progress);
  CHECK(cache.on_request(tx(2), alice, {}).state == request_state::in_progress);
  CHECK(cache.on_request(tx(1), alice, {}).state == request_state::fresh);  // evicts 2
  CHECK(cache.on_request(tx(2), alice, {}).state == request_state::fresh);
}

TEST_CASE("the byte cap evicts the oldest responses first") {
  response_cache cache({.max_bytes = 100});
  CHECK(cache.on_request(tx(1), alice, {}).state == request_state::fresh);
  CHECK(cache.on_request(tx(2), alice, {}).state == request_state::fresh);
  CHECK(cache.on_request(tx(3), alice, {}).state == request_state::fresh);
  REQUIRE(cache.store_response(tx(3), alice, bytes(40, 3), {}));
  REQUIRE(cache.store_response(tx(1), alice, bytes(40, 1), {}));
  CHECK(cache.bytes() == 80);
  // 2 is answered last; 1, the oldest, goes, though 3 came first.
  REQUIRE(cache.store_response(tx(2), alice, bytes(40, 2), {}));
  CHECK(cache.bytes() == 80);
  CHECK(cache.stats().evicted == 1);
  CHECK(seen(cache.on_request(tx(3), alice, {})) == bytes(40, 3));
  CHECK(seen(cache.on_request(tx(2), alice, {})) == bytes(40, 2));
  CHECK(cache.on_request(tx(1), alice, {}).state == request_state::fresh);

  SECTION("a response larger than the cap is not kept") {
    CHECK_FALSE(cache.store_response(tx(3), alice, bytes(101, 0), {}));
    CHECK(cache.on_request(tx(3), alice, {}).state == request_state::fresh);
    CHECK(cache.bytes() == 40);
  }
}

TEST_CASE("a response whose entry has gone is recorded again") {
  response_cache cache({.max_entries = 1});
  CHECK(cache.on_request(tx(1), alice, {}).state == request_state::fresh);
  CHECK(cache.on_request(tx(2), alice, {}).state == request_state::fresh);  // evicts 1
  REQUIRE(cache.store_response(tx(1), alice, {1}, {}));                     // evicts 2
  CHECK(seen(cache.on_request(tx(1), alice, {})) == bytes{1});
  CHECK(cache.size() == 1);
}
