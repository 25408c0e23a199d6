// Fetch, Stat and Find (RFC 6940 §7.4.2-§7.4.4) over values stored with real
// signatures.
#include <catch2/catch.hpp>

#include "identity/digest.hpp"
#include "storage/access_control.hpp"
#include "storage/storage_service.hpp"
#include "storage_test_util.hpp"

using namespace p2psip;
using namespace p2psip::storage;
using namespace p2psip::storage::test;
using wire::reload_error_code;
namespace known = wire::well_known_kind;

namespace {

// Alice's data: three certificates at indices 0, 1 and 4 and two app-data
// entries at H(alice); a TURN record at H(node || 1).
struct fixture : pki, storing_peer {
  identity::message_signer alice = enroll(alice_user);
  wire::resource_id home = user_resource(alice_user);
  wire::resource_id relay = node_multiple_resource(alice.node(), 1);

  fixture() : storing_peer(ca) {
    const auto certs = known::certificate_by_user;
    auto longer = *kinds.find(certs);
    longer.max_count = 8;  // room for index 4
    REQUIRE_FALSE(kinds.define(longer));
    const std::vector<wire::generic_certificate> bucket{alice.generic_certificate()};
    for (const auto& request :
         {store_request(home, certs,
                        {signed_by(alice, home, certs, array_value(0, "c0")),
                         signed_by(alice, home, certs, array_value(1, "c1")),
                         signed_by(alice, home, certs, array_value(4, "c4"))}),
          store_request(home, app_data_kind,
                        {signed_by(alice, home, app_data_kind, dictionary_value(bytes("a"), "A")),
                         signed_by(alice, home, app_data_kind, dictionary_value(bytes("b"), "B"))}),
          store_request(relay, known::turn_service,
                        {signed_by(alice, relay, known::turn_service, single_value("relay"))})}) {
      ok(service.store(
          request,
          {.now = test_now(), .certificates = bucket, .request_signer = {}, .replicas = {}}));
    }
  }

  wire::fetch_kind_response fetch_one(const wire::resource_id& resource,
                                      wire::stored_data_specifier specifier) {
    auto ans = ok(service.fetch({resource, {std::move(specifier)}}, test_now()));
    REQUIRE(ans.kind_responses.size() == 1);
    return std::move(ans.kind_responses[0]);
  }
};

wire::stored_data_specifier ranges(std::vector<wire::array_range> r, std::uint64_t generation = 0) {
  return {known::certificate_by_user, wire::generation_counter{generation}, std::move(r)};
}

wire::stored_data_specifier keys(std::vector<wire::dictionary_key> k) {
  return {app_data_kind, wire::generation_counter{0}, std::move(k)};
}

wire::stored_data_specifier single(wire::kind_id kind) {
  return {kind, wire::generation_counter{0}, wire::single_value_specifier{}};
}

const std::vector<wire::stored_data>& values(const wire::fetch_kind_response& r) {
  return std::get<0>(r.values);
}

std::vector<std::uint32_t> indices(const wire::fetch_kind_response& r) {
  std::vector<std::uint32_t> out;
  for (const auto& v : values(r)) out.push_back(array_index_of(v));
  return out;
}

bool is_synthesized(const wire::stored_data& d) {
  return !data_value_of(d).exists && d.signature.value.empty() &&
         d.signature.identity.type == static_cast<std::uint8_t>(wire::signer_identity_type::none) &&
         d.signature.algorithm.signature == wire::signature_algorithm::anonymous &&
         d.signature.algorithm.hash == wire::hash_algorithm::none;
}

}  // namespace

TEST_CASE("fetch: a single value, and a synthesized nonexistent one where none is stored") {
  fixture f;
  const auto stored = f.fetch_one(f.relay, single(known::turn_service));
  REQUIRE(values(stored).size() == 1);
  CHECK(text_of(values(stored)[0]) == "relay");
  CHECK(stored.generation.value == 1);

  const auto nothing = f.fetch_one(f.home, single(known::turn_service));
  CHECK(nothing.generation.value == 0);
  REQUIRE(values(nothing).size() == 1);
  CHECK(is_synthesized(values(nothing)[0]));
}

TEST_CASE("fetch: array ranges, gaps, the final element and clamping") {
  fixture f;
  CHECK(indices(f.fetch_one(f.home, ranges({{0, 0xffffffff}}))) ==
        std::vector<std::uint32_t>{0, 1, 2, 3, 4});
  const auto some = f.fetch_one(f.home, ranges({{3, 4}, {0, 0}}));
  CHECK(indices(some) == std::vector<std::uint32_t>{3, 4, 0});
  CHECK(is_synthesized(values(some)[0]));
  CHECK(text_of(values(some)[1]) == "c4");
  CHECK(text_of(values(some)[2]) == "c0");
  // Past the end: nothing is invented beyond the last element.
  CHECK(indices(f.fetch_one(f.home, ranges({{4, 100}}))) == std::vector<std::uint32_t>{4});
  CHECK(values(f.fetch_one(f.home, ranges({{5, 9}}))).empty());
  CHECK(values(f.fetch_one(f.home, ranges({}))).empty());
  // An array with nothing stored returns nothing.
  CHECK(values(f.fetch_one(f.relay, ranges({{0, 0xffffffff}}))).empty());
  // Ranges "MUST NOT overlap".
  const auto overlap = f.service.fetch({f.home, {ranges({{0, 2}, {2, 3}})}}, test_now());
  CHECK(refused(overlap) == reload_error_code::invalid_message);
}

TEST_CASE("fetch: dictionary keys, missing keys and the wildcard") {
  fixture f;
  const auto all = f.fetch_one(f.home, keys({}));
  REQUIRE(values(all).size() == 2);
  CHECK(text_of(values(all)[0]) == "A");
  CHECK(text_of(values(all)[1]) == "B");

  const auto some = f.fetch_one(f.home, keys({bytes("b"), bytes("zz")}));
  REQUIRE(values(some).size() == 2);
  CHECK(text_of(values(some)[0]) == "B");
  CHECK(dictionary_key_of(values(some)[1]) == bytes("zz"));
  CHECK(is_synthesized(values(some)[1]));
}

TEST_CASE("fetch: a matching generation returns no values, another one all of them") {
  fixture f;
  const auto current = f.fetch_one(f.home, ranges({{0, 0xffffffff}}));
  REQUIRE(current.generation.value == 1);
  CHECK(values(f.fetch_one(f.home, ranges({{0, 0xffffffff}}, 1))).empty());
  CHECK(values(f.fetch_one(f.home, ranges({{0, 0xffffffff}}, 7))).size() == 5);
}

TEST_CASE("fetch: several Kinds in one request, one response each in order") {
  fixture f;
  const auto ans = ok(f.service.fetch(
      {f.home, {keys({}), ranges({{0, 0}}), single(known::turn_service)}}, test_now()));
  REQUIRE(ans.kind_responses.size() == 3);
  CHECK(ans.kind_responses[0].kind == app_data_kind);
  CHECK(ans.kind_responses[1].kind == known::certificate_by_user);
  CHECK(ans.kind_responses[2].kind == known::turn_service);
}

TEST_CASE("fetch and stat refuse unknown Kinds and mismatched specifiers") {
  fixture f;
  const wire::stored_data_specifier stranger{
      wire::kind_id{0xf0000777}, {}, wire::undecoded_specifier{{1}}};
  const auto unknown = f.service.fetch({f.home, {keys({}), stranger}}, test_now());
  CHECK(refused(unknown) == reload_error_code::unknown_kind);
  CHECK(unknown.error().error_info == std::vector<std::uint8_t>{4, 0xf0, 0x00, 0x07, 0x77});
  CHECK(refused(f.service.stat({f.home, {stranger}}, test_now())) ==
        reload_error_code::unknown_kind);
  // A dictionary specifier for an array Kind.
  const wire::stored_data_specifier wrong{
      known::certificate_by_user, {}, std::vector<wire::dictionary_key>{}};
  CHECK(refused(f.service.fetch({f.home, {wrong}}, test_now())) ==
        reload_error_code::invalid_message);
}

TEST_CASE("stat: metadata with the value's length and SHA-256 over length || value") {
  fixture f;
  const auto fetched = f.fetch_one(f.home, keys({bytes("a"), bytes("nope")}));
  const auto ans = ok(f.service.stat({f.home, {keys({bytes("a"), bytes("nope")})}}, test_now()));
  REQUIRE(ans.kind_responses.size() == 1);
  CHECK(ans.kind_responses[0].generation == fetched.generation);
  const auto& metas = std::get<0>(ans.kind_responses[0].values);
  REQUIRE(metas.size() == 2);

  const auto& stored = values(fetched)[0];
  const auto encoded = wire::to_bytes(stored);
  REQUIRE(encoded);
  CHECK(metas[0].value_length == encoded->size() - 4);  // StoredData.length
  CHECK(metas[0].storage_time == stored.storage_time);
  CHECK(metas[0].lifetime == stored.lifetime);
  const auto& entry = std::get<wire::dictionary_entry_meta>(metas[0].metadata.entry);
  CHECK(entry.key == bytes("a"));
  CHECK(entry.value.exists);
  CHECK(entry.value.value_length == 1);
  CHECK(entry.value.hash_algorithm == wire::hash_algorithm::sha256);
  const std::vector<std::uint8_t> length_and_value{0, 0, 0, 1, 'A'};
  CHECK(entry.value.hash_value ==
        *identity::digest(wire::hash_algorithm::sha256, {length_and_value}));

  const auto& missing = std::get<wire::dictionary_entry_meta>(metas[1].metadata.entry);
  CHECK_FALSE(missing.value.exists);
  CHECK(missing.value.value_length == 0);
}

TEST_CASE("stat: array and single-value arms") {
  fixture f;
  const auto arr = ok(f.service.stat({f.home, {ranges({{1, 2}})}}, test_now()));
  const auto& metas = std::get<0>(arr.kind_responses[0].values);
  REQUIRE(metas.size() == 2);
  CHECK(std::get<wire::array_entry_meta>(metas[0].metadata.entry).index == 1);
  CHECK(std::get<wire::array_entry_meta>(metas[0].metadata.entry).value.exists);
  CHECK_FALSE(std::get<wire::array_entry_meta>(metas[1].metadata.entry).value.exists);
  const auto one = ok(f.service.stat({f.relay, {single(known::turn_service)}}, test_now()));
  CHECK(std::get<wire::meta_data>(std::get<0>(one.kind_responses[0].values)[0].metadata.entry)
            .value_length == 5);
}

TEST_CASE("find: the first resource at or after the requested one, wrapping; 0 when none") {
  fixture f;
  const auto lower = std::min(f.home, f.relay);
  const auto upper = std::max(f.home, f.relay);
  const auto kind_at = [&](const wire::resource_id& from, wire::kind_id kind) {
    const auto ans = ok(f.service.find({from, {kind}}, test_now()));
    REQUIRE(ans.results.size() == 1);
    CHECK(ans.results[0].kind == kind);
    return ans.results[0].closest;
  };
  const auto zero = *wire::resource_id::from_span(std::vector<std::uint8_t>(16, 0));
  CHECK(kind_at(f.home, app_data_kind) == f.home);
  CHECK(kind_at(zero, known::turn_service) == f.relay);
  // Walking on from just past a resource wraps around the ring to the first.
  auto past_home = std::vector<std::uint8_t>(f.home.bytes().begin(), f.home.bytes().end());
  for (auto b = past_home.rbegin(); b != past_home.rend() && ++*b == 0; ++b) {
  }
  CHECK(kind_at(*wire::resource_id::from_span(past_home), app_data_kind) == f.home);
  const auto top = *wire::resource_id::from_span(std::vector<std::uint8_t>(16, 0xff));
  CHECK(kind_at(top, known::turn_service) == f.relay);
  CHECK(kind_at(upper, known::turn_service) == f.relay);
  CHECK(kind_at(f.home, known::certificate_by_node) == zero);  // nothing of that Kind here

  // An unknown Kind answers Resource-ID 0; a Kind that forbids Find is left out.
  auto hidden = *f.kinds.find(known::turn_service);
  hidden.findable = false;
  REQUIRE_FALSE(f.kinds.define(hidden));
  const auto ans =
      ok(f.service.find({lower, {wire::kind_id{0xf0000777}, known::turn_service}}, test_now()));
  REQUIRE(ans.results.size() == 1);
  CHECK(ans.results[0].kind == wire::kind_id{0xf0000777});
  CHECK(ans.results[0].closest == zero);

  CHECK(refused(f.service.find({lower, {app_data_kind, app_data_kind}}, test_now())) ==
        reload_error_code::invalid_message);
}
