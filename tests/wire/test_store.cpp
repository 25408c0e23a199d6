#include "wire/store.hpp"

#include <cstdlib>
#include <new>

#include "wire_test_util.hpp"

// Counts every heap allocation in this executable, to prove that encoding a
// StoreReq allocates only its output buffer.
namespace {
std::size_t allocation_count = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++allocation_count;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// Catch allocates with the nothrow form: it must come from the same heap as
// the deletes here (ASan tells the sanitizer's operator new from malloc).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return operator new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

using well_known_store_req = with_well_known_kinds<store_req>;

signature sample_signature() {
  signature s;
  s.algorithm = {hash_algorithm::sha256, signature_algorithm::ecdsa};
  s.identity.type = static_cast<std::uint8_t>(signer_identity_type::cert_hash);
  s.identity.hash = {0xaa, 0xbb};
  s.value = {0xca, 0xfe};
  return s;
}

// sample_signature() on the wire (§6.3.4): sha256/ecdsa, cert_hash <aabb>, <cafe>.
constexpr const char* sig = " 0403 01000404 02aabb 0002cafe ";

data_value bytes_of(std::string_view text) {
  return {true, std::vector<std::uint8_t>(text.begin(), text.end())};
}

stored_data stored(std::uint64_t time, std::uint32_t lifetime, stored_data_value value) {
  return {time, lifetime, std::move(value), sample_signature()};
}

resource_id resource_1234() { return *resource_id::from_span(hex("1234")); }

node_id node(std::uint8_t first) {
  node_id::bytes_type b{};
  b[0] = first;
  return node_id(b);
}

// SIP-REGISTRATION is keyed by the storing peer's Node-ID (RFC 7904 §7).
dictionary_key key_of(const node_id& id) { return {id.bytes().begin(), id.bytes().end()}; }

// The example of §7.4.1.1's figure: "abc" as Kind X's single value, "foo"
// and "bar" at indices 0 and 1 of Kind Y's array.
store_req figure_example() {
  return {resource_1234(),
          0,
          {{well_known_kind::turn_service, generation_counter{99},
            std::vector{stored(1, 86400, {bytes_of("abc")})}},
           {well_known_kind::certificate_by_node, generation_counter{107},
            std::vector{stored(2, 86400, {array_entry{0, bytes_of("foo")}}),
                        stored(3, 33200, {array_entry{1, bytes_of("bar")}})}}}};
}

}  // namespace

TEST_CASE("StoreReq: the §7.4.1.1 figure, single value and array Kinds") {
  const auto golden =
      hex(std::string() +
          "02 1234"   // resource<0..2^8-1>
          "00"        // replica_number: an original store
          "00000097"  // kind_data<0..2^32-1>: 151 bytes
          // StoreKindData, Kind X as TURN-SERVICE (single value)
          "00000002 0000000000000063"  // kind, generation_counter 99
          "00000025"                   // values: 37 bytes
          "00000021"                   // StoredData.length 33
          "0000000000000001 00015180"  // storage_time, lifetime 86400
          "01 00000003 616263"         // DataValue exists, "abc"
          + sig +
          // StoreKindData, Kind Y as CERTIFICATE_BY_NODE (array)
          "00000003 000000000000006b"           // kind, generation_counter 107
          "00000052"                            // values: 82 bytes
          "00000025 0000000000000002 00015180"  // length 37, storage_time, lifetime
          "00000000 01 00000003 666f6f"         // index 0, "foo"
          + sig +
          "00000025 0000000000000003 000081b0"  // length 37, storage_time, lifetime 33200
          "00000001 01 00000003 626172"         // index 1, "bar"
          + sig);
  const well_known_store_req v{figure_example()};
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<well_known_store_req>(golden);
  test::check_trailing_byte_fails<well_known_store_req>(golden);
}

TEST_CASE("StoreReq: a replica store of a dictionary Kind") {
  const store_req v{
      resource_1234(),
      1,
      {{well_known_kind::sip_registration, generation_counter{5},
        std::vector{stored(4, 3600, {dictionary_entry{key_of(node(0x42)), bytes_of("reg")}})}}}};
  const auto golden = hex(std::string() +
                          "02 1234 01 00000047"  // resource, replica_number 1, kind_data 71 bytes
                          "00000001 0000000000000005"  // SIP-REGISTRATION, generation_counter 5
                          "00000037"                   // values: 55 bytes
                          "00000033"                   // StoredData.length 51
                          "0000000000000004 00000e10"  // storage_time, lifetime 3600
                          "0010 42000000000000000000000000000000"  // DictionaryEntry.key: a Node-ID
                          "01 00000003 726567"                     // DataValue "reg"
                          + sig);
  CHECK(test::round_trip(well_known_store_req{v}) == golden);
  test::check_every_truncation_fails<well_known_store_req>(golden);
}

TEST_CASE("StoreReq: a Kind the lookup does not know keeps its values for Error_Unknown_Kind") {
  const auto bytes = hex("02 1234 00 00000013  00000009 0000000000000001 00000003 aabbcc");
  auto v = from_bytes<store_req>(bytes, well_known_data_model);
  REQUIRE(v);
  REQUIRE(v->kind_data.size() == 1);
  CHECK(v->kind_data[0].kind == kind_id{9});
  CHECK_FALSE(v->kind_data[0].decoded());
  CHECK(to_bytes(*v).value() == bytes);
}

TEST_CASE("StoreReq: malformed inputs") {
  SECTION("the same Kind-ID twice") {
    const auto bytes =
        hex("02 1234 00 00000020"
            "00000002 0000000000000000 00000000"
            "00000002 0000000000000001 00000000");
    CHECK(test::decode_error_of<well_known_store_req>(bytes) == codec_errc::invalid_value);
    auto v = figure_example();
    v.kind_data[1].kind = v.kind_data[0].kind;
    auto encoded = to_bytes(v);
    REQUIRE_FALSE(encoded.has_value());
    CHECK(encoded.error().code == codec_errc::invalid_value);
  }
  SECTION("kind_data length past the end") {
    CHECK(test::decode_error_of<well_known_store_req>(hex("02 1234 00 00000011 00000002")) ==
          codec_errc::length_past_end);
  }
  SECTION("resource length past the end") {
    CHECK(test::decode_error_of<well_known_store_req>(hex("09 1234 00 00000000")) ==
          codec_errc::length_past_end);
  }
  SECTION("values length past the end of kind_data") {
    CHECK(test::decode_error_of<well_known_store_req>(
              hex("02 1234 00 00000010 00000002 0000000000000000 00000001")) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("StoreReq: encoding allocates exactly once") {
  store_req v = figure_example();
  v.kind_data.push_back(
      {well_known_kind::sip_registration, generation_counter{1},
       std::vector{
           stored(5, 60,
                  {dictionary_entry{dictionary_key(16, 0x07),
                                    data_value{true, std::vector<std::uint8_t>(60, 0x55)}}})}});
  const auto before = allocation_count;
  auto bytes = to_bytes(v);
  const auto allocations = allocation_count - before;
  REQUIRE(bytes.has_value());
  CHECK(bytes->size() >= 280);
  CHECK(bytes->size() <= 320);
  CHECK(allocations == 1);
}

TEST_CASE("StoreAns: generation counters and replica Node-IDs (§7.4.1.2)") {
  const store_ans v{
      {{well_known_kind::turn_service, generation_counter{100}, {node(0xa0), node(0xb0)}},
       {well_known_kind::certificate_by_node, generation_counter{108}, {}}}};
  const auto golden =
      hex("003c"                       // kind_responses: 60 bytes
          "00000002 0000000000000064"  // kind, generation_counter 100
          "0020"                       // replicas: two NodeIds
          "a0000000000000000000000000000000"
          "b0000000000000000000000000000000"
          "00000003 000000000000006c 0000");  // kind, 108, no replicas
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<store_ans>(golden);
  test::check_trailing_byte_fails<store_ans>(golden);

  SECTION("a replicas length that is not a whole number of NodeIds") {
    CHECK(test::decode_error_of<store_ans>(hex("0011 00000002 0000000000000064 0003 a00000")) ==
          codec_errc::truncated);
  }
  SECTION("kind_responses length past the end") {
    CHECK(test::decode_error_of<store_ans>(hex("0040 00000002")) == codec_errc::length_past_end);
  }
}
