#include "wire/fetch.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

using well_known_fetch_req = with_well_known_kinds<fetch_req>;
using well_known_fetch_ans = with_well_known_kinds<fetch_ans>;

resource_id resource_1234() { return *resource_id::from_span(hex("1234")); }

stored_data_specifier specifier(kind_id kind, std::uint64_t generation,
                                decltype(stored_data_specifier::model_specifier) model) {
  return {kind, generation_counter{generation}, std::move(model)};
}

}  // namespace

TEST_CASE("FetchReq: array ranges, dictionary keys and a single value (§7.4.2.1)") {
  const fetch_req v{resource_1234(),
                    {specifier(well_known_kind::certificate_by_node, 0,
                               std::vector<array_range>{{0, 3}, {5, 0xffffffff}}),
                     specifier(well_known_kind::sip_registration, 7,
                               std::vector<dictionary_key>{{0xde, 0xad, 0xbe, 0xef}, {}}),
                     specifier(well_known_kind::turn_service, 0, single_value_specifier{})}};
  const auto golden =
      hex("02 1234"  // resource
          "0046"     // specifiers<0..2^16-1>: 70 bytes
          // CERTIFICATE_BY_NODE (array)
          "00000003 0000000000000000"  // kind, generation
          "0012"                       // length 18
          "0010"                       // indices<0..2^16-1>: two ArrayRanges
          "00000000 00000003"          // [0, 3]
          "00000005 ffffffff"          // [5, final element]
          // SIP-REGISTRATION (dictionary)
          "00000001 0000000000000007"  // kind, generation 7
          "000a"                       // length 10
          "0008"                       // keys<0..2^16-1>
          "0004 deadbeef"              // DictionaryKey
          "0000"                       // an empty DictionaryKey
          // TURN-SERVICE (single value)
          "00000002 0000000000000000 0000");  // kind, generation, empty specifier
  CHECK(test::round_trip(well_known_fetch_req{v}) == golden);
  test::check_every_truncation_fails<well_known_fetch_req>(golden);
  test::check_trailing_byte_fails<well_known_fetch_req>(golden);
}

TEST_CASE("FetchReq: a dictionary specifier without keys is a wildcard fetch") {
  const auto golden = hex("02 1234 0010 00000001 0000000000000000 0002 0000");
  auto v = from_bytes<fetch_req>(golden, well_known_data_model);
  REQUIRE(v);
  REQUIRE(v->specifiers.size() == 1);
  CHECK(std::get<std::vector<dictionary_key>>(v->specifiers[0].model_specifier).empty());
}

TEST_CASE("FetchReq: the specifier of an unknown Kind is skipped by its length") {
  const auto bytes =
      hex("02 1234 002f  00000063 0000000000000000 0003 aabbcc"
          "00000002 0000000000000000 0000"
          "00000003 0000000000000000 0002 0000");
  auto v = from_bytes<fetch_req>(bytes, well_known_data_model);
  REQUIRE(v);
  REQUIRE(v->specifiers.size() == 3);
  CHECK(std::get<undecoded_specifier>(v->specifiers[0].model_specifier).bytes == hex("aabbcc"));
  CHECK(std::holds_alternative<single_value_specifier>(v->specifiers[1].model_specifier));
  CHECK(to_bytes(*v).value() == bytes);
}

TEST_CASE("FetchReq: malformed inputs") {
  SECTION("an ArrayRange whose first exceeds its last") {
    CHECK(test::decode_error_of<well_known_fetch_req>(
              hex("02 1234 0018 00000003 0000000000000000 000a 0008 00000004 00000003")) ==
          codec_errc::invalid_value);
    auto encoded = to_bytes(fetch_req{
        resource_1234(),
        {specifier(well_known_kind::certificate_by_node, 0, std::vector<array_range>{{4, 3}})}});
    REQUIRE_FALSE(encoded.has_value());
    CHECK(encoded.error().code == codec_errc::invalid_value);
  }
  SECTION("a single-value specifier that is not empty") {
    CHECK(test::decode_error_of<well_known_fetch_req>(
              hex("02 1234 000f 00000002 0000000000000000 0001 00")) == codec_errc::trailing_bytes);
  }
  SECTION("a length longer than the array specifier inside it") {
    CHECK(test::decode_error_of<well_known_fetch_req>(
              hex("02 1234 0011 00000003 0000000000000000 0003 0000 00")) ==
          codec_errc::trailing_bytes);
  }
  SECTION("indices past the specifier's length") {
    CHECK(test::decode_error_of<well_known_fetch_req>(
              hex("02 1234 0018 00000003 0000000000000000 000a 0010 00000000 00000003")) ==
          codec_errc::length_past_end);
  }
  SECTION("a dictionary key past the end of keys") {
    CHECK(test::decode_error_of<well_known_fetch_req>(
              hex("02 1234 0014 00000001 0000000000000000 0006 0004 0009 dead")) ==
          codec_errc::length_past_end);
  }
  SECTION("specifiers past the end") {
    CHECK(test::decode_error_of<well_known_fetch_req>(hex("02 1234 00ff 00000002")) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("FetchAns: a signed value, a synthesized nonexistent one, an unchanged Kind") {
  signature none;  // §7.4.2.2: identity none, {anonymous, none}, empty value
  none.algorithm = {hash_algorithm::none, signature_algorithm::anonymous};
  none.identity.type = static_cast<std::uint8_t>(signer_identity_type::none);
  signature signed_by;
  signed_by.identity.type = static_cast<std::uint8_t>(signer_identity_type::cert_hash);
  signed_by.identity.hash = {0xaa, 0xbb};
  signed_by.value = {0xca, 0xfe};

  const fetch_ans v{
      {{well_known_kind::certificate_by_node, generation_counter{16},
        std::vector{stored_data{2, 86400, {array_entry{0, {true, {'f', 'o', 'o'}}}}, signed_by},
                    stored_data{0, 0, {array_entry{1, {}}}, none}}},
       {well_known_kind::turn_service, generation_counter{99}, std::vector<stored_data>{}}}};
  const auto golden =
      hex("00000069"                              // kind_responses<0..2^32-1>: 105 bytes
          "00000003 0000000000000010"             // FetchKindResponse: kind, generation 16
          "00000049"                              // values: 73 bytes
          "00000025 0000000000000002 00015180"    // length 37, storage_time, lifetime
          "00000000 01 00000003 666f6f"           // index 0, "foo"
          "0403 01 0004 04 02aabb 0002 cafe"      // signature
          "0000001c 0000000000000000 00000000"    // length 28, synthesized: no time, no lifetime
          "00000001 00 00000000"                  // index 1, exists=False
          "0000 03 0000 0000"                     // {none, anonymous}, identity none, no value
          "00000002 0000000000000063 00000000");  // TURN-SERVICE, generation matched: no values
  CHECK(test::round_trip(well_known_fetch_ans{v}) == golden);
  test::check_every_truncation_fails<well_known_fetch_ans>(golden);
  test::check_trailing_byte_fails<well_known_fetch_ans>(golden);

  SECTION("kind_responses past the end") {
    CHECK(test::decode_error_of<well_known_fetch_ans>(hex("00000010 00000002")) ==
          codec_errc::length_past_end);
  }
}
