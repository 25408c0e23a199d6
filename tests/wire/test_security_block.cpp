#include "wire/security_block.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;
using p2psip::wire::test::hex;

namespace {

signer_identity cert_hash_identity() {
  return signer_identity{static_cast<std::uint8_t>(signer_identity_type::cert_hash),
                         hash_algorithm::sha256, hex("a1a2a3a4")};
}

security_block sample_block() {
  security_block b;
  b.certificates.push_back(generic_certificate{0, hex("c0ffee")});
  b.signature = signature{{hash_algorithm::sha256, signature_algorithm::ecdsa},
                          cert_hash_identity(), hex("5151")};
  return b;
}

template <class T>
codec_errc encode_error_of(const T& value) {
  auto bytes = to_bytes(value);
  REQUIRE_FALSE(bytes.has_value());
  return bytes.error().code;
}

}  // namespace

TEST_CASE("SignatureAndHashAlgorithm: hash then signature, one byte each") {
  const auto golden = hex("04 03");  // sha256(4), ecdsa(3)
  CHECK(test::round_trip(signature_and_hash_algorithm{}) == golden);
  test::check_every_truncation_fails<signature_and_hash_algorithm>(golden);
  test::check_trailing_byte_fails<signature_and_hash_algorithm>(golden);

  // {none, anonymous} is the synthesized-data marker of §7.4.2.2.
  CHECK(test::round_trip(signature_and_hash_algorithm{hash_algorithm::none,
                                                      signature_algorithm::anonymous}) ==
        hex("00 00"));
  CHECK(test::decode_error_of<signature_and_hash_algorithm>(hex("07 03")) ==
        codec_errc::unknown_type);
  CHECK(test::decode_error_of<signature_and_hash_algorithm>(hex("04 04")) ==
        codec_errc::unknown_type);
  CHECK(encode_error_of(signature_and_hash_algorithm{static_cast<hash_algorithm>(9),
                                                     signature_algorithm::rsa}) ==
        codec_errc::invalid_value);
  CHECK(encode_error_of(signature_and_hash_algorithm{
            hash_algorithm::sha1, static_cast<signature_algorithm>(9)}) ==
        codec_errc::invalid_value);
}

TEST_CASE("SignerIdentity: cert_hash") {
  const auto golden = hex(
      "01"        // identity_type cert_hash
      "0006"      // length of SignerIdentityValue
      "04"        // hash_alg sha256
      "04"        // certificate_hash length
      "a1a2a3a4"  // certificate_hash
  );
  CHECK(test::round_trip(cert_hash_identity()) == golden);
  test::check_every_truncation_fails<signer_identity>(golden);
  test::check_trailing_byte_fails<signer_identity>(golden);
}

TEST_CASE("SignerIdentity: cert_hash_node_id") {
  const auto golden = hex(
      "02"      // identity_type cert_hash_node_id
      "0004"    // length
      "06"      // hash_alg sha512
      "02"      // certificate_node_id_hash length
      "beef"    // certificate_node_id_hash
  );
  const signer_identity id{static_cast<std::uint8_t>(signer_identity_type::cert_hash_node_id),
                           hash_algorithm::sha512, hex("beef")};
  CHECK(test::round_trip(id) == golden);
  test::check_every_truncation_fails<signer_identity>(golden);
}

TEST_CASE("SignerIdentity: none is empty") {
  const signer_identity id{static_cast<std::uint8_t>(signer_identity_type::none),
                           hash_algorithm::sha256, {}};
  const auto golden = hex("03 0000");
  CHECK(test::round_trip(id) == golden);
  test::check_every_truncation_fails<signer_identity>(golden);
  CHECK(test::decode_error_of<signer_identity>(hex("03 0001 00")) == codec_errc::trailing_bytes);

  signer_identity with_bytes = id;
  with_bytes.hash = hex("01");
  CHECK(encode_error_of(with_bytes) == codec_errc::invalid_value);
}

TEST_CASE("SignerIdentity: an unknown type is kept raw so it can be skipped") {
  const auto bytes = hex("09 0003 aabbcc");
  auto id = from_bytes<signer_identity>(bytes);
  REQUIRE(id);
  CHECK(id->type == 9);
  CHECK(id->hash == hex("aabbcc"));
  CHECK(test::round_trip(*id) == bytes);
}

TEST_CASE("SignerIdentity: malformed inputs") {
  SECTION("invalidSignerIdentityType") {
    CHECK(test::decode_error_of<signer_identity>(hex("00 0000")) == codec_errc::unknown_type);
    CHECK(encode_error_of(signer_identity{0, hash_algorithm::sha256, {}}) ==
          codec_errc::invalid_value);
  }
  SECTION("length past the end") {
    CHECK(test::decode_error_of<signer_identity>(hex("01 0007 04 04 a1a2a3a4")) ==
          codec_errc::length_past_end);
  }
  SECTION("hash length past the identity length") {
    CHECK(test::decode_error_of<signer_identity>(hex("01 0005 04 05 a1a2a3a4")) ==
          codec_errc::length_past_end);
  }
  SECTION("identity length longer than its value") {
    CHECK(test::decode_error_of<signer_identity>(hex("01 0007 04 04 a1a2a3a4 00")) ==
          codec_errc::trailing_bytes);
  }
  SECTION("unknown hash algorithm") {
    CHECK(test::decode_error_of<signer_identity>(hex("01 0003 e0 01 aa")) ==
          codec_errc::unknown_type);
  }
  SECTION("hash longer than 2^8-1 cannot be encoded") {
    auto id = cert_hash_identity();
    id.hash.assign(256, 0x11);
    CHECK(encode_error_of(id) == codec_errc::too_long_to_encode);
  }
}

TEST_CASE("Signature: algorithm, identity, signature_value") {
  const auto golden = hex(
      "04 03"                     // sha256, ecdsa
      "01 0006 04 04 a1a2a3a4"    // SignerIdentity cert_hash
      "0002 5151"                 // signature_value
  );
  CHECK(test::round_trip(sample_block().signature) == golden);
  test::check_every_truncation_fails<signature>(golden);
  test::check_trailing_byte_fails<signature>(golden);
  CHECK(test::decode_error_of<signature>(hex("04 03 03 0000 0003 5151")) ==
        codec_errc::length_past_end);

  auto long_value = sample_block().signature;
  long_value.value.assign(0x10000, 0x22);
  CHECK(encode_error_of(long_value) == codec_errc::too_long_to_encode);
}

TEST_CASE("GenericCertificate: type and a 16-bit length") {
  const auto golden = hex("00 0003 c0ffee");  // X.509, 3 bytes of "DER"
  CHECK(test::round_trip(generic_certificate{0, hex("c0ffee")}) == golden);
  test::check_every_truncation_fails<generic_certificate>(golden);
  test::check_trailing_byte_fails<generic_certificate>(golden);
  // Certificate types are an open registry: an unknown one is carried.
  CHECK(test::round_trip(generic_certificate{2, hex("01")}) == hex("02 0001 01"));
  CHECK(test::decode_error_of<generic_certificate>(hex("00 0004 c0ffee")) ==
        codec_errc::length_past_end);

  generic_certificate big{0, std::vector<std::uint8_t>(0x10000, 0x30)};
  CHECK(encode_error_of(big) == codec_errc::too_long_to_encode);
}

TEST_CASE("SecurityBlock: certificates bucket then signature") {
  const auto golden = hex(
      "0006"                      // certificates length in bytes
      "00 0003 c0ffee"            //   GenericCertificate X.509
      "04 03"                     // sha256, ecdsa
      "01 0006 04 04 a1a2a3a4"    // SignerIdentity cert_hash
      "0002 5151"                 // signature_value
  );
  CHECK(test::round_trip(sample_block()) == golden);
  test::check_every_truncation_fails<security_block>(golden);
  test::check_trailing_byte_fails<security_block>(golden);

  security_block two = sample_block();
  two.certificates.push_back(generic_certificate{0, hex("")});
  test::round_trip(two);
}

TEST_CASE("SecurityBlock: malformed inputs") {
  SECTION("certificates length past the end") {
    CHECK(test::decode_error_of<security_block>(hex("0009 00 0003 c0ffee")) ==
          codec_errc::length_past_end);
  }
  SECTION("a certificate running past the certificates length") {
    CHECK(test::decode_error_of<security_block>(
              hex("0005 00 0003 c0ffee 04 03 03 0000 0000")) == codec_errc::length_past_end);
  }
  SECTION("a certificates bucket over 2^16-1 bytes cannot be encoded") {
    auto b = sample_block();
    b.certificates.assign(2, generic_certificate{0, std::vector<std::uint8_t>(0x8000, 1)});
    CHECK(encode_error_of(b) == codec_errc::too_long_to_encode);
  }
}
