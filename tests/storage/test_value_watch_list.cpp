// storage.watch's polling schedule and change test, with no clock of its own.
#include <catch2/catch.hpp>

#include "storage/value_watch_list.hpp"

using namespace p2psip;
using storage::value_watch_list;
using storage::watched_values;
using namespace std::chrono_literals;

namespace {

watched_values one(const std::string& key, const std::string& value) { return {{key, value}}; }

}  // namespace

TEST_CASE("a watch polls at once, then once per interval, never twice at a time") {
  value_watch_list list;
  const auto t0 = value_watch_list::clock::time_point{} + 1h;
  const auto id = list.add(5s, t0);
  REQUIRE(id);
  CHECK(list.due(t0) == std::vector{*id});
  CHECK(list.due(t0 + 60s).empty());  // its answer is not in yet
  CHECK_FALSE(list.next_due());
  CHECK_FALSE(list.observed(*id, one("k", "v1"), t0 + 1s));  // the first poll records
  CHECK(list.next_due() == t0 + 6s);
  CHECK(list.due(t0 + 5s).empty());
  CHECK(list.due(t0 + 6s) == std::vector{*id});
  CHECK_FALSE(list.observed(*id, one("k", "v1"), t0 + 6s));  // unchanged
  CHECK(list.due(t0 + 11s) == std::vector{*id});
  CHECK(list.observed(*id, one("k", "v2"), t0 + 11s));  // changed
  CHECK(list.due(t0 + 16s) == std::vector{*id});
  CHECK_FALSE(list.observed(*id, std::nullopt, t0 + 16s));  // a failed poll concludes nothing
  CHECK(list.due(t0 + 21s) == std::vector{*id});
  CHECK(list.observed(*id, watched_values{}, t0 + 21s));  // removed
  CHECK(list.due(t0 + 26s) == std::vector{*id});
  CHECK(list.observed(*id, one("k", "v2"), t0 + 26s));  // back
  CHECK(list.remove(*id));
  CHECK_FALSE(list.remove(*id));
  CHECK_FALSE(list.observed(*id, one("k", "v3"), t0 + 31s));
}

TEST_CASE("the rate is bounded: a floor on the interval and a cap on watches") {
  value_watch_list list;
  const auto t0 = value_watch_list::clock::time_point{} + 1h;
  const auto fast = list.add(0s, t0);
  REQUIRE(fast);
  CHECK(list.due(t0).size() == 1);
  list.observed(*fast, watched_values{}, t0);
  CHECK(list.due(t0 + storage::min_watch_interval - 1ms).empty());
  CHECK(list.due(t0 + storage::min_watch_interval).size() == 1);
  while (list.size() < storage::max_watches) REQUIRE(list.add(10s, t0));
  CHECK_FALSE(list.add(10s, t0));
  CHECK(list.remove(*fast));
  CHECK(list.add(10s, t0));
}

TEST_CASE("what a poll found: entries that exist, by dictionary key or array index") {
  std::vector<wire::stored_data> data(3);
  data[0].value.entry = wire::dictionary_entry{{'a'}, {true, {1}}};
  data[1].value.entry = wire::dictionary_entry{{'b'}, {false, {}}};
  data[2].value.entry = wire::array_entry{0x01020304, {true, {2}}};
  const auto values = storage::values_of(data);
  CHECK(values == watched_values{{"a", "\x01"}, {"\x01\x02\x03\x04", "\x02"}});
  // A refresh (new storage_time, same value) is no change.
  auto refreshed = data;
  refreshed[0].storage_time = 99;
  CHECK(storage::values_of(refreshed) == values);
}
