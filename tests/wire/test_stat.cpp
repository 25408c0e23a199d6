#include "wire/stat.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {
using well_known_stat_req = with_well_known_kinds<stat_req>;
using well_known_stat_ans = with_well_known_kinds<stat_ans>;
}  // namespace

TEST_CASE("StatReq has the FetchReq layout (§7.4.3.1)") {
  const stat_req v{
      *resource_id::from_span(hex("1234")),
      {{well_known_kind::turn_service, generation_counter{0}, single_value_specifier{}}}};
  const auto golden = hex("02 1234 000e 00000002 0000000000000000 0000");
  CHECK(test::round_trip(well_known_stat_req{v}) == golden);
  test::check_every_truncation_fails<well_known_stat_req>(golden);
  test::check_trailing_byte_fails<well_known_stat_req>(golden);
}

TEST_CASE("MetaData (§7.4.3.2)") {
  const meta_data v{true, 3, hash_algorithm::sha256, {0x01, 0x02, 0x03, 0x04}};
  const auto golden =
      hex("01 00000003 04 04 01020304");  // exists, value_length, sha256, hash_value
  CHECK(test::round_trip(v) == golden);
  test::check_every_truncation_fails<meta_data>(golden);
  test::check_trailing_byte_fails<meta_data>(golden);

  SECTION("an unknown HashAlgorithm") {
    CHECK(test::decode_error_of<meta_data>(hex("01 00000003 07 00")) == codec_errc::unknown_type);
    auto bad = v;
    bad.hash_algorithm = static_cast<hash_algorithm>(7);
    CHECK(to_bytes(bad).error().code == codec_errc::invalid_value);
  }
  SECTION("exists is not a Boolean") {
    CHECK(test::decode_error_of<meta_data>(hex("03 00000003 04 00")) == codec_errc::invalid_value);
  }
  SECTION("hash_value past the end") {
    CHECK(test::decode_error_of<meta_data>(hex("01 00000003 04 05 01020304")) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("StatAns: StoredMetaData in each data model") {
  const stat_ans v{{
      {well_known_kind::certificate_by_node, generation_counter{16},
       std::vector{stored_meta_data{
           0x25,
           2,
           86400,
           {array_entry_meta{0, {true, 3, hash_algorithm::sha256, {1, 2, 3, 4}}}}}}},
      {well_known_kind::sip_registration, generation_counter{2},
       std::vector{stored_meta_data{
           0x22,
           3,
           60,
           {dictionary_entry_meta{{0xde, 0xad}, {false, 0, hash_algorithm::none, {}}}}}}},
      {well_known_kind::turn_service, generation_counter{99},
       std::vector{stored_meta_data{
           0x21, 1, 86400, {meta_data{true, 3, hash_algorithm::sha1, {0xab, 0xcd}}}}}},
  }};
  const auto golden =
      hex("00000083"                            // kind_responses: 131 bytes
          "00000003 0000000000000010 0000001f"  // CERTIFICATE_BY_NODE, generation 16, values 31
          "00000025 0000000000000002 00015180"  // value_length, storage_time, lifetime
          "00000000"                            // ArrayEntryMeta.index
          "01 00000003 04 04 01020304"          // MetaData
          "00000001 0000000000000002 0000001b"  // SIP-REGISTRATION, generation 2, values 27
          "00000022 0000000000000003 0000003c"
          "0002 dead"                           // DictionaryEntryMeta.key
          "00 00000000 00 00"                   // MetaData: nonexistent, no digest
          "00000002 0000000000000063 00000019"  // TURN-SERVICE, generation 99, values 25
          "00000021 0000000000000001 00015180"
          "01 00000003 02 02 abcd");  // MetaData with a sha1 digest
  CHECK(test::round_trip(well_known_stat_ans{v}) == golden);
  test::check_every_truncation_fails<well_known_stat_ans>(golden);
  test::check_trailing_byte_fails<well_known_stat_ans>(golden);
}

TEST_CASE("StatAns: an unknown Kind's StoredMetaData stays undecoded") {
  const auto bytes = hex("00000014 00000063 0000000000000001 00000004 01020304");
  auto v = from_bytes<stat_ans>(bytes, well_known_data_model);
  REQUIRE(v);
  REQUIRE(v->kind_responses.size() == 1);
  CHECK_FALSE(v->kind_responses[0].decoded());
  CHECK(to_bytes(*v).value() == bytes);
}

TEST_CASE("StatAns: malformed inputs") {
  SECTION("values past the end of the kind response") {
    CHECK(test::decode_error_of<well_known_stat_ans>(
              hex("00000010 00000002 0000000000000063 00000019")) == codec_errc::length_past_end);
  }
  SECTION("an unknown HashAlgorithm inside a StoredMetaData") {
    CHECK(test::decode_error_of<well_known_stat_ans>(hex(
              "00000027 00000002 0000000000000063 00000017"
              "00000021 0000000000000001 00015180 01 00000003 08 00")) == codec_errc::unknown_type);
  }
}
