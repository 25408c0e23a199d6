#include "wire/stored_data.hpp"

#include "wire/store.hpp"
#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

using well_known_kind_data = with_well_known_kinds<store_kind_data>;

signature sample_signature() {
  signature s;
  s.algorithm = {hash_algorithm::sha256, signature_algorithm::ecdsa};
  s.identity.type = static_cast<std::uint8_t>(signer_identity_type::cert_hash);
  s.identity.hash_alg = hash_algorithm::sha256;
  s.identity.hash = {0xaa, 0xbb};
  s.value = {0xca, 0xfe};
  return s;
}

// sample_signature() on the wire (§6.3.4).
constexpr const char* sample_signature_hex =
    "04 03"              // SignatureAndHashAlgorithm: sha256(4), ecdsa(3)
    "01 0004 04 02aabb"  // SignerIdentity: cert_hash(1), length 4, sha256, hash<aabb>
    "0002 cafe";         // signature_value<cafe>

stored_data stored(std::uint64_t time, std::uint32_t lifetime, stored_data_value value) {
  return {time, lifetime, std::move(value), sample_signature()};
}

data_value bytes_of(std::string_view text) {
  return {true, std::vector<std::uint8_t>(text.begin(), text.end())};
}

store_kind_data kind_data(kind_id kind, std::uint64_t generation, std::vector<stored_data> values) {
  return {kind, generation_counter{generation}, std::move(values)};
}

std::string concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

}  // namespace

TEST_CASE("DataValue: exists flag and a 4-byte length prefix (§7.2)") {
  const auto golden = hex("01 00000003 616263");  // exists=True, value<"abc">
  CHECK(test::round_trip(bytes_of("abc")) == golden);
  test::check_every_truncation_fails<data_value>(golden);
  test::check_trailing_byte_fails<data_value>(golden);

  SECTION("a nonexistent value is exists=False with an empty value (§7.4.1.3)") {
    CHECK(test::round_trip(data_value{}) == hex("00 00000000"));
  }
  SECTION("exists other than 0 or 1 is an invalid Boolean") {
    CHECK(test::decode_error_of<data_value>(hex("02 00000000")) == codec_errc::invalid_value);
  }
  SECTION("a value length past the end") {
    CHECK(test::decode_error_of<data_value>(hex("01 00000004 616263")) ==
          codec_errc::length_past_end);
  }
}

TEST_CASE("well_known_data_model follows RFC 6940 §8, §9 and RFC 7904 §7") {
  CHECK(well_known_data_model(well_known_kind::sip_registration) == data_model::dictionary);
  CHECK(well_known_data_model(well_known_kind::turn_service) == data_model::single_value);
  CHECK(well_known_data_model(well_known_kind::certificate_by_node) == data_model::array);
  CHECK(well_known_data_model(well_known_kind::certificate_by_user) == data_model::array);
  CHECK(well_known_kind::certificate_by_user == kind_id{16});
  CHECK_FALSE(well_known_data_model(kind_id{0x4}).has_value());
}

TEST_CASE("StoredData, single value: length covers everything after it (§7)") {
  const auto v =
      kind_data(well_known_kind::turn_service, 99, {stored(1, 86400, {bytes_of("abc")})});
  const auto golden = hex(concat({
      "00000002",            // StoreKindData.kind: TURN-SERVICE
      "0000000000000063",    // generation_counter 99
      "00000025",            // values<> length 37
      "00000021",            // StoredData.length 33
      "0000000000000001",    // storage_time
      "00015180",            // lifetime 86400
      "01 00000003 616263",  // DataValue exists, "abc"
      sample_signature_hex,
  }));
  CHECK(test::round_trip(well_known_kind_data{v}) == golden);
  test::check_every_truncation_fails<well_known_kind_data>(golden);
  test::check_trailing_byte_fails<well_known_kind_data>(golden);
}

TEST_CASE("StoredData, array: the index precedes the DataValue (§7.2.2)") {
  const auto v = kind_data(well_known_kind::certificate_by_node, 107,
                           {stored(2, 86400, {array_entry{array_append_index, bytes_of("foo")}})});
  const auto golden = hex(concat({
      "00000003 000000000000006b 00000029",  // CERTIFICATE_BY_NODE, gen 107, values 41
      "00000025 0000000000000002 00015180",  // length 37, storage_time, lifetime
      "ffffffff",                            // ArrayEntry.index: append
      "01 00000003 666f6f",                  // "foo"
      sample_signature_hex,
  }));
  CHECK(test::round_trip(well_known_kind_data{v}) == golden);
  test::check_every_truncation_fails<well_known_kind_data>(golden);
}

TEST_CASE("StoredData, dictionary: the key is a DictionaryKey<0..2^16-1> (§7.2.3)") {
  const auto v = kind_data(well_known_kind::sip_registration, 0,
                           {stored(3, 60, {dictionary_entry{{0xde, 0xad}, data_value{}}})});
  const auto golden = hex(concat({
      "00000001 0000000000000000 00000026",  // SIP-REGISTRATION, gen 0, values 38
      "00000022 0000000000000003 0000003c",  // length 34, storage_time, lifetime 60
      "0002 dead",                           // DictionaryEntry.key
      "00 00000000",                         // DataValue: nonexistent
      sample_signature_hex,
  }));
  CHECK(test::round_trip(well_known_kind_data{v}) == golden);
  test::check_every_truncation_fails<well_known_kind_data>(golden);

  SECTION("a key longer than 2^16-1 cannot be encoded") {
    auto big = v;
    std::get<0>(big.values)[0].value = {dictionary_entry{dictionary_key(0x10000, 0x41), {}}};
    auto bytes = to_bytes(big);
    REQUIRE_FALSE(bytes.has_value());
    CHECK(bytes.error().code == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("StoredData: malformed inputs") {
  const auto head = "00000002 0000000000000000 00000025";  // TURN-SERVICE, gen 0, values 37
  SECTION("StoredData.length shorter than its contents cuts the signature") {
    CHECK(test::decode_error_of<well_known_kind_data>(
              hex(concat({head, "0000001e 0000000000000001 00015180 01 00000003 616263",
                          sample_signature_hex}))) == codec_errc::truncated);
  }
  SECTION("StoredData.length longer than its contents leaves bytes inside it") {
    CHECK(test::decode_error_of<well_known_kind_data>(
              hex(concat({"00000002 0000000000000000 00000026",
                          "00000022 0000000000000001 00015180 01 00000003 616263",
                          sample_signature_hex, "00"}))) == codec_errc::trailing_bytes);
  }
  SECTION("StoredData.length past the end of the values") {
    CHECK(test::decode_error_of<well_known_kind_data>(
              hex(concat({head, "000000ff 0000000000000001 00015180 01 00000003 616263",
                          sample_signature_hex}))) == codec_errc::length_past_end);
  }
  SECTION("an unknown hash algorithm in the signature") {
    CHECK(test::decode_error_of<well_known_kind_data>(
              hex(concat({head, "00000021 0000000000000001 00015180 01 00000003 616263",
                          "09 03 01 0004 04 02aabb 0002 cafe"}))) == codec_errc::unknown_type);
  }
  SECTION("exists is not a Boolean") {
    CHECK(test::decode_error_of<well_known_kind_data>(
              hex(concat({head, "00000021 0000000000000001 00015180 05 00000003 616263",
                          sample_signature_hex}))) == codec_errc::invalid_value);
  }
}

TEST_CASE("StoredData of a Kind the lookup does not know stays undecoded") {
  // Kind 0x4 is unassigned, so a node without it configured cannot parse it.
  const auto bytes = hex(concat({"00000004 0000000000000005 0000000a", "00000006 c0ffee 000000"}));
  auto v = from_bytes<well_known_kind_data>(bytes);
  REQUIRE(v);
  CHECK_FALSE(v->value.decoded());
  CHECK(std::get<undecoded_values>(v->value.values).bytes == hex("00000006 c0ffee 000000"));
  CHECK(to_bytes(*v).value() == bytes);

  SECTION("a configured lookup decodes the same bytes") {
    const auto with_kind_4 = [](kind_id k) -> std::optional<data_model> {
      if (k == kind_id{4}) return data_model::single_value;
      return std::nullopt;
    };
    const auto single = hex(
        concat({"00000004 0000000000000005 00000025",
                "00000021 0000000000000001 00015180 01 00000003 616263", sample_signature_hex}));
    auto known = from_bytes<store_kind_data>(single, with_kind_4);
    REQUIRE(known);
    CHECK(known->decoded());
    CHECK_FALSE(from_bytes<well_known_kind_data>(single)->value.decoded());
  }
}

TEST_CASE("stored_data_signature_input: the §7.1 concatenation") {
  const auto resource = *resource_id::from_span(hex("1234"));

  SECTION("array: the index is signed as zero (§7.4.2.2)") {
    const auto data = stored(2, 86400, {array_entry{5, bytes_of("foo")}});
    const auto golden =
        hex("1234"                 // resource_id, without a length byte
            "00000003"             // kind: CERTIFICATE_BY_NODE
            "0000000000000002"     // storage_time
            "00000000"             // ArrayEntry.index, zeroed
            "01 00000003 666f6f"   // DataValue
            "01 0004 04 02aabb");  // SignerIdentity
    CHECK(
        stored_data_signature_input(resource, well_known_kind::certificate_by_node, data).value() ==
        golden);
    auto appended = data;
    std::get<array_entry>(appended.value.entry).index = array_append_index;
    CHECK(stored_data_signature_input(resource, well_known_kind::certificate_by_node, appended)
              .value() == golden);
  }
  SECTION("dictionary: the key is signed with its length prefix") {
    const auto data = stored(3, 60, {dictionary_entry{{0xde, 0xad}, bytes_of("x")}});
    CHECK(stored_data_signature_input(resource, well_known_kind::sip_registration, data).value() ==
          hex("1234 00000001 0000000000000003 0002dead 01 00000001 78 01 0004 04 02aabb"));
  }
  SECTION("single value, and lifetime and signature value are not covered") {
    auto data = stored(1, 86400, {bytes_of("abc")});
    const auto input = stored_data_signature_input(resource, well_known_kind::turn_service, data);
    CHECK(input.value() ==
          hex("1234 00000002 0000000000000001 01 00000003 616263 01 0004 04 02aabb"));
    data.lifetime = 1;
    data.signature.value = {1, 2, 3};
    CHECK(stored_data_signature_input(resource, well_known_kind::turn_service, data).value() ==
          input.value());
  }
}
