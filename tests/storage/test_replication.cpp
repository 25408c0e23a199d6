// Export a resource from one store as replica StoreReqs, apply them to
// another store (which verifies every value again), and fetch the same data.
#include <catch2/catch.hpp>

#include <limits>

#include "storage/access_control.hpp"
#include "storage/replication.hpp"
#include "storage/storage_service.hpp"
#include "storage_test_util.hpp"

using namespace p2psip;
using namespace p2psip::storage;
using namespace p2psip::storage::test;
using std::chrono::seconds;
using wire::reload_error_code;
namespace known = wire::well_known_kind;

namespace {

constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

// Alice, and two peers that trust the same CA but share no certificate cache.
struct fixture : pki {
  identity::message_signer alice = enroll(alice_user);
  storing_peer origin{ca};
  storing_peer replica{ca};
  const wire::resource_id home = user_resource(alice_user);
  const std::vector<wire::generic_certificate> bucket{alice.generic_certificate()};

  wire::stored_data entry(std::string_view key, std::string_view text, std::uint32_t lifetime,
                          std::uint64_t after_ms = 0) {
    return signed_by(alice, home, app_data_kind,
                     dictionary_value(bytes(key), text, now_ms() + after_ms, lifetime));
  }
  wire::stored_data certificate(std::uint32_t index, std::string_view text) {
    return signed_by(alice, home, known::certificate_by_user, array_value(index, text, {}, 100));
  }
};

wire::fetch_ans everything(storing_peer& peer, const wire::resource_id& resource, time_point at) {
  return ok(peer.service.fetch(
      {resource,
       {{app_data_kind, {}, std::vector<wire::dictionary_key>{}},
        {known::certificate_by_user, {}, std::vector<wire::array_range>{{0, 0xffffffff}}}}},
      at));
}

}  // namespace

TEST_CASE("export, apply elsewhere, fetch equal; lifetimes shrink by the time held") {
  fixture f;
  ok(f.origin.put(
      store_request(f.home, app_data_kind, {f.entry("a", "A", 100), f.entry("b", "B", 100)}),
      f.bucket));
  ok(f.origin.put(store_request(f.home, app_data_kind, {f.entry("a", "A2", 100, 1)}), f.bucket));
  ok(f.origin.put(store_request(f.home, known::certificate_by_user,
                                {f.certificate(wire::array_append_index, "cert")}),
                  f.bucket));

  const auto later = test_now() + seconds(30);
  const auto requests = export_resource(f.origin.store, f.home, 1, later, unbounded);
  REQUIRE(requests.size() == 2);  // one per Kind
  for (const auto& request : requests) {
    CHECK(request.replica_number == 1);
    CHECK(request.resource == f.home);
    for (const auto& v : std::get<0>(request.kind_data.at(0).values)) CHECK(v.lifetime == 70);
    // The receiver has never seen Alice's certificate: the origin supplies it.
    const auto certs = f.origin.verifier.certificates_for(request);
    ok(f.replica.put(request, certs, later));
  }

  const auto there = everything(f.replica, f.home, later);
  const auto here = everything(f.origin, f.home, later);
  REQUIRE(there.kind_responses.size() == 2);
  CHECK(there.kind_responses[0].generation.value == 2);  // carried, not recounted
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& a = std::get<0>(here.kind_responses[k].values);
    const auto& b = std::get<0>(there.kind_responses[k].values);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(b[i].value == a[i].value);
      CHECK(b[i].signature == a[i].signature);
      CHECK(b[i].storage_time == a[i].storage_time);
    }
    CHECK(here.kind_responses[k].generation == there.kind_responses[k].generation);
  }
  // The copy expires when the original does.
  CHECK(f.replica.store.expire(later + seconds(69)).empty());
  CHECK(f.replica.store.expire(later + seconds(70)).size() == 3);

  // Migrated away, the origin forgets the resource.
  CHECK(f.origin.store.erase(f.home));
  CHECK(f.origin.store.resource_count() == 0);
  CHECK(export_resource(f.origin.store, f.home, 1, later, unbounded).empty());
}

TEST_CASE("a receiver with newer data refuses that Kind only; expired values are not sent") {
  fixture f;
  ok(f.origin.put(
      store_request(f.home, app_data_kind, {f.entry("a", "old", 100), f.entry("short", "x", 5)}),
      f.bucket));
  ok(f.origin.put(store_request(f.home, known::certificate_by_user, {f.certificate(0, "cert")}),
                  f.bucket));
  ok(f.replica.put(store_request(f.home, app_data_kind, {f.entry("a", "new", 100, 9)}), f.bucket));

  const auto later = test_now() + seconds(10);
  const auto requests = export_resource(f.origin.store, f.home, 2, later, unbounded);
  REQUIRE(requests.size() == 2);
  std::size_t refused_kinds = 0;
  for (const auto& request : requests) {
    if (request.kind_data[0].kind == app_data_kind) {
      CHECK(std::get<0>(request.kind_data[0].values).size() == 1);  // "short" has expired
    }
    const auto result = f.replica.put(request, f.bucket, later);
    if (!result) {
      CHECK(result.error().error_code == reload_error_code::data_too_old);
      ++refused_kinds;
    }
  }
  CHECK(refused_kinds == 1);
  const auto there = everything(f.replica, f.home, later);
  CHECK(text_of(std::get<0>(there.kind_responses[0].values).at(0)) == "new");
  CHECK(std::get<0>(there.kind_responses[1].values).size() == 1);
}

// Each replica push re-exports the whole resource with the lifetimes left:
// an entry the replica already holds comes again, unchanged but for its
// lifetime, next to the new ones, and must not refuse them.
TEST_CASE("a later push of a grown dictionary adds its new entries at the replica") {
  fixture f;
  ok(f.origin.put(store_request(f.home, app_data_kind, {f.entry("a", "A", 100)}), f.bucket));
  const auto first_push = test_now() + seconds(2);
  for (const auto& request : export_resource(f.origin.store, f.home, 1, first_push, unbounded)) {
    ok(f.replica.put(request, f.bucket, first_push));
  }
  ok(f.origin.put(store_request(f.home, app_data_kind, {f.entry("b", "B", 100, 1)}), f.bucket));
  const auto second_push = test_now() + seconds(5);
  const auto requests = export_resource(f.origin.store, f.home, 1, second_push, unbounded);
  REQUIRE(requests.size() == 1);
  CHECK(std::get<0>(requests[0].kind_data[0].values).at(0).lifetime == 95);
  const auto ans = ok(f.replica.put(requests[0], f.bucket, second_push));
  CHECK(ans.kind_responses.at(0).generation.value == 2);
  const auto there = everything(f.replica, f.home, second_push);
  const auto& values = std::get<0>(there.kind_responses[0].values);
  REQUIRE(values.size() == 2);
  CHECK(text_of(values[0]) == "A");
  CHECK(text_of(values[1]) == "B");
}

TEST_CASE("a Kind too large for one message is exported over several Stores, each value whole") {
  fixture f;
  std::vector<wire::stored_data> values;
  for (int i = 0; i < 32; ++i) {
    values.push_back(f.entry("key" + std::to_string(100 + i), std::string(100, 'v'), 100));
  }
  ok(f.origin.put(store_request(f.home, app_data_kind, values), f.bucket));
  // Signatures differ in length by a byte or two.
  std::size_t smallest = unbounded;
  std::size_t total = 0;
  for (const auto& v : values) {
    smallest = std::min(smallest, wire::to_bytes(v)->size());
    total += wire::to_bytes(v)->size();
  }
  const auto encoded = [](const wire::store_req& request) {
    std::size_t bytes = 0;
    for (const auto& v : std::get<0>(request.kind_data.at(0).values))
      bytes += wire::to_bytes(v)->size();
    return bytes;
  };

  for (const std::size_t budget : {smallest - 1, 4 * smallest, total - 1, total}) {
    INFO("budget " << budget);
    const auto requests = export_resource(f.origin.store, f.home, 1, test_now(), budget);
    if (budget < smallest) CHECK(requests.size() == 32);
    if (budget == total) CHECK(requests.size() == 1);
    if (budget == total - 1) CHECK(requests.size() == 2);
    storing_peer replica{f.ca};
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& carried = std::get<0>(requests[i].kind_data.at(0).values);
      CHECK((carried.size() == 1 || encoded(requests[i]) <= budget));
      // Cut only where the next value would not have fitted.
      if (i + 1 < requests.size()) {
        const auto& next = std::get<0>(requests[i + 1].kind_data.at(0).values).front();
        CHECK(encoded(requests[i]) + wire::to_bytes(next)->size() > budget);
      }
      ok(replica.put(requests[i], f.bucket, test_now()));
    }
    CHECK(replica.store.value_count() == 32);
  }
}

TEST_CASE("a Store cut in half keeps its resource, Kind, generation and every value once") {
  fixture f;
  CHECK_FALSE(split_in_half(store_request(f.home, app_data_kind, {f.entry("a", "A", 100)})));
  auto request =
      store_request(f.home, app_data_kind,
                    {f.entry("a", "A", 100), f.entry("b", "B", 100), f.entry("c", "C", 100)});
  request.replica_number = 2;
  request.kind_data[0].generation = wire::generation_counter{7};
  const auto halves = split_in_half(request);
  REQUIRE(halves);
  const auto& [first, second] = *halves;
  for (const auto* half : {&first, &second}) {
    CHECK(half->resource == f.home);
    CHECK(half->replica_number == 2);
    CHECK(half->kind_data.at(0).kind == app_data_kind);
    CHECK(half->kind_data.at(0).generation.value == 7);
  }
  const auto& a = std::get<0>(first.kind_data[0].values);
  const auto& b = std::get<0>(second.kind_data[0].values);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 2);
  CHECK(a[0] == std::get<0>(request.kind_data[0].values)[0]);
  CHECK(b[1] == std::get<0>(request.kind_data[0].values)[2]);
}
