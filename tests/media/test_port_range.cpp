// Even ports with their odd neighbour, round-robin, exhausted and reused.
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>

#include "media/port_range.hpp"

using namespace p2psip::media;

TEST_CASE("even ports whose neighbour is in range, until none is left") {
  port_range ports(10001, 10008);  // 10002, 10004, 10006 (10008 has no 10009)
  CHECK(ports.capacity() == 3);
  std::set<std::uint16_t> given;
  for (int i = 0; i < 3; ++i) {
    const auto p = ports.acquire();
    REQUIRE(p);
    CHECK(*p % 2 == 0);
    CHECK(*p >= 10002);
    CHECK(*p + 1 <= 10008);
    given.insert(*p);
  }
  CHECK(given.size() == 3);
  CHECK(ports.available() == 0);
  CHECK_FALSE(ports.acquire());
}

TEST_CASE("a port given back is reused, but only after the others") {
  port_range ports(20000, 20007);  // 20000, 20002, 20004, 20006
  CHECK(*ports.acquire() == 20000);
  CHECK(*ports.acquire() == 20002);
  ports.release(20000);
  CHECK(*ports.acquire() == 20004);
  CHECK(*ports.acquire() == 20006);
  CHECK(*ports.acquire() == 20000);  // the only free one now
  CHECK_FALSE(ports.acquire());
  ports.release(20004);
  CHECK(ports.available() == 1);
  CHECK(*ports.acquire() == 20004);
}

TEST_CASE("releasing what was not given changes nothing") {
  port_range ports(30000, 30003);
  const auto p = ports.acquire();
  REQUIRE(p);
  ports.release(30001);  // odd
  ports.release(29998);  // below
  ports.release(30004);  // above
  ports.release(30002);  // in range, not in use
  CHECK(ports.available() == 1);
  ports.release(*p);
  ports.release(*p);  // twice
  CHECK(ports.available() == 2);
}

TEST_CASE("ranges without a pair are refused; the top of the port space works") {
  CHECK_THROWS_AS(port_range(10000, 10000), std::invalid_argument);
  CHECK_THROWS_AS(port_range(10001, 10002), std::invalid_argument);
  CHECK_THROWS_AS(port_range(10010, 10000), std::invalid_argument);
  CHECK_THROWS_AS(port_range(65535, 65535), std::invalid_argument);
  port_range top(65534, 65535);
  CHECK(*top.acquire() == 65534);
  port_range all(0, 65535);
  CHECK(all.capacity() == 32768);
}
