// data_store as a container: models' ordering is the service's business, so
// entries here are built by hand.
#include <catch2/catch.hpp>

#include "storage/data_store.hpp"
#include "wire/id_hash.hpp"

using namespace p2psip;
using namespace p2psip::storage;
using std::chrono::seconds;

namespace {

const time_point t0 = time_point{} + std::chrono::hours(24 * 365 * 50);

wire::resource_id rid(std::uint8_t first) {
  std::vector<std::uint8_t> b(16, 0);
  b[0] = first;
  return *wire::resource_id::from_span(b);
}

stored_value value(std::uint32_t index, std::uint32_t lifetime_s, std::size_t size = 8) {
  stored_value v;
  v.data.lifetime = lifetime_s;
  v.data.value.entry = wire::array_entry{index, {true, std::vector<std::uint8_t>(size, 1)}};
  v.expires_ms = to_ms(t0) + lifetime_s * 1000ull;
  return v;
}

kind_entry entry(std::uint32_t kind, std::vector<stored_value> values, std::uint64_t gen = 1) {
  return {wire::kind_id{kind}, wire::generation_counter{gen}, std::move(values)};
}

}  // namespace

TEST_CASE("replace stores, replaces and removes a Kind's values; counts follow") {
  data_store store;
  CHECK(store.find(rid(1), wire::kind_id{3}) == nullptr);
  CHECK(store.kinds_at(rid(1)).empty());

  store.replace(rid(1), entry(3, {value(0, 60), value(1, 60)}));
  store.replace(rid(1), entry(16, {value(0, 60)}));
  store.replace(rid(2), entry(3, {value(0, 60)}));
  CHECK(store.resource_count() == 2);
  CHECK(store.value_count() == 4);
  CHECK(store.value_count(rid(1)) == 3);
  CHECK(store.kinds_at(rid(1)).size() == 2);
  REQUIRE(store.find(rid(1), wire::kind_id{16}) != nullptr);
  CHECK(store.find(rid(1), wire::kind_id{16})->values.size() == 1);

  store.replace(rid(1), entry(3, {value(5, 60)}, 2));
  CHECK(store.value_count() == 3);
  CHECK(store.find(rid(1), wire::kind_id{3})->generation.value == 2);

  store.replace(rid(1), entry(3, {}));
  store.replace(rid(1), entry(16, {}));
  CHECK(store.resource_count() == 1);
  CHECK(store.value_count() == 1);
  store.replace(rid(9), entry(3, {}));  // nothing to remove, nothing created
  CHECK(store.resource_count() == 1);
}

TEST_CASE("erase drops a resource with all its Kinds") {
  data_store store;
  store.replace(rid(1), entry(3, {value(0, 60)}));
  store.replace(rid(1), entry(16, {value(0, 60), value(1, 60)}));
  store.replace(rid(2), entry(3, {value(0, 60)}));
  CHECK(store.erase(rid(1)));
  CHECK_FALSE(store.erase(rid(1)));
  CHECK(store.value_count() == 1);
  CHECK(store.resources().size() == 1);
  CHECK(store.resources().begin()->first == rid(2));
}

TEST_CASE("expire removes values past their lifetime and reports them") {
  data_store store;
  store.replace(rid(1), entry(3, {value(0, 10), value(1, 30), value(2, 10)}));
  store.replace(rid(2), entry(3, {value(0, 10)}));
  CHECK(store.expire(t0 + seconds(9)).empty());

  const auto gone = store.expire(t0 + seconds(10));  // expiry is inclusive
  REQUIRE(gone.size() == 3);
  CHECK(gone[0].resource == rid(1));
  CHECK(array_index_of(gone[0].data) == 0);
  CHECK(array_index_of(gone[1].data) == 2);
  CHECK(gone[2].resource == rid(2));
  CHECK(store.value_count() == 1);
  CHECK(store.resource_count() == 1);
  REQUIRE(store.find(rid(1), wire::kind_id{3}) != nullptr);
  CHECK(array_index_of(store.find(rid(1), wire::kind_id{3})->values[0].data) == 1);

  CHECK(store.expire(t0 + seconds(30)).size() == 1);
  CHECK(store.resource_count() == 0);
  CHECK(store.value_count() == 0);
}

TEST_CASE("closest_with_kind walks the ring from a Resource-ID, wrapping once") {
  data_store store;
  store.replace(rid(0x20), entry(3, {value(0, 60)}));
  store.replace(rid(0x80), entry(16, {value(0, 60)}));
  store.replace(rid(0xc0), entry(3, {value(0, 5)}));
  const wire::kind_id three{3};
  CHECK(store.closest_with_kind(rid(0x20), three, t0) == rid(0x20));
  CHECK(store.closest_with_kind(rid(0x21), three, t0) == rid(0xc0));
  CHECK(store.closest_with_kind(rid(0xc1), three, t0) == rid(0x20));
  // An expired value does not count even before expire() runs.
  CHECK(store.closest_with_kind(rid(0x21), three, t0 + seconds(5)) == rid(0x20));
  CHECK(store.closest_with_kind(rid(0x00), wire::kind_id{16}, t0) == rid(0x80));
  CHECK_FALSE(store.closest_with_kind(rid(0x00), wire::kind_id{1}, t0));
}

TEST_CASE("approximate_bytes grows with the data and returns to its base when emptied") {
  data_store store;
  const auto empty = store.approximate_bytes();
  store.replace(rid(1), entry(3, {value(0, 60, 100)}));
  const auto one = store.approximate_bytes();
  CHECK(one > empty + 100);
  store.replace(rid(1), entry(3, {value(0, 60, 100), value(1, 60, 1000)}));
  CHECK(store.approximate_bytes() > one + 1000);
  // A small resource stays small: what the 64 KiB-per-node budget relies on.
  CHECK(one - empty < 512);
  store.erase(rid(1));
  CHECK(store.approximate_bytes() == empty);
}

TEST_CASE("the model helpers read index, key and DataValue of any arm") {
  wire::stored_data d;
  d.value.entry = wire::dictionary_entry{{7, 8}, {true, {9}}};
  CHECK(dictionary_key_of(d) == wire::dictionary_key{7, 8});
  CHECK(array_index_of(d) == 0);
  CHECK(data_value_of(d).value == std::vector<std::uint8_t>{9});
  d.value.entry = wire::array_entry{42, {false, {}}};
  CHECK(array_index_of(d) == 42);
  CHECK(dictionary_key_of(d).empty());
  CHECK_FALSE(data_value_of(d).exists);
  d.value.entry = wire::data_value{true, {5}};
  CHECK(data_value_of(d).value == std::vector<std::uint8_t>{5});
}
