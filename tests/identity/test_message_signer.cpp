#include <catch2/catch.hpp>

#include <openssl/ec.h>

#include "identity/message_signer.hpp"
#include "identity_test_util.hpp"
#include "wire/byte_writer.hpp"

using namespace p2psip::identity;
using namespace p2psip;
using p2psip::identity::test::must;

namespace {

std::vector<std::uint8_t> sha256(std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> out(32);
  REQUIRE(EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha256(), nullptr) == 1);
  return out;
}

// Verifies with OpenSSL's one-shot API over an input assembled here, so the
// signer's input layout is checked independently.
bool openssl_verifies(const node_certificate& cert, const wire::signature& sig,
                      const std::vector<std::uint8_t>& input) {
  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, cert.public_key()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.value.data(), sig.value.size(), input.data(),
                          input.size()) == 1;
}

wire::message_contents sample_contents() {
  wire::message_contents contents;
  contents.code = wire::message_code::ping_req;
  contents.body.assign(180, 0x5a);
  return contents;
}

}  // namespace

TEST_CASE("message signatures cover overlay || transaction_id || MessageContents || SignerIdentity") {
  auto ca = test::make_ca();
  for (const auto algorithm : {key_algorithm::ecdsa_p256, key_algorithm::rsa_2048}) {
    auto creds = test::enroll(ca, "alice@example.org", 1, algorithm);
    const auto cert = creds.certificate;
    auto signer = must(message_signer::create(std::move(creds.key), cert));
    const auto contents = sample_contents();
    const auto sig = must(signer.sign_message(wire::overlay_hash{0x01020304},
                                              wire::transaction_id{0x1112131415161718}, contents));

    CHECK(sig.algorithm == signature_algorithm_for(algorithm));
    CHECK(sig.identity.type == static_cast<std::uint8_t>(wire::signer_identity_type::cert_hash));
    CHECK(sig.identity.hash_alg == wire::hash_algorithm::sha256);
    CHECK(sig.identity.hash == sha256(cert.der()));

    std::vector<std::uint8_t> input = {1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
    const auto encoded = *wire::to_bytes(contents);
    const auto identity = *wire::to_bytes(sig.identity);
    input.insert(input.end(), encoded.begin(), encoded.end());
    input.insert(input.end(), identity.begin(), identity.end());
    CHECK(openssl_verifies(cert, sig, input));
    input[0] ^= 1;  // another overlay
    CHECK_FALSE(openssl_verifies(cert, sig, input));
  }
}

TEST_CASE("ECDSA signature values are DER ECDSA-Sig-Value, as in TLS 1.2") {
  auto ca = test::make_ca();
  auto creds = test::enroll(ca, "alice@example.org");
  auto signer = must(message_signer::create(std::move(creds.key), creds.certificate));
  const auto sig = must(signer.sign_message(wire::overlay_hash{1}, wire::transaction_id{2},
                                            sample_contents()));
  const unsigned char* p = sig.value.data();
  openssl_ptr<ECDSA_SIG, ECDSA_SIG_free> parsed(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.value.size())));
  REQUIRE(parsed);
  CHECK(p == sig.value.data() + sig.value.size());
}

TEST_CASE("a multi-Node-ID certificate signs as one Node-ID with cert_hash_node_id") {
  auto ca = test::make_ca();
  auto creds = test::enroll(ca, "multi@example.org", 3);
  const auto cert = creds.certificate;
  const auto second = cert.node_ids().at(1);
  auto signer = must(message_signer::create(std::move(creds.key), cert, second));
  CHECK(signer.node() == second);
  CHECK(signer.identity().type ==
        static_cast<std::uint8_t>(wire::signer_identity_type::cert_hash_node_id));
  std::vector<std::uint8_t> node_then_cert(second.bytes().begin(), second.bytes().end());
  node_then_cert.insert(node_then_cert.end(), cert.der().begin(), cert.der().end());
  CHECK(signer.identity().hash == sha256(node_then_cert));
  CHECK(signer.generic_certificate().certificate == cert.der());
}

TEST_CASE("a signer needs its certificate's key and one of its Node-IDs") {
  auto ca = test::make_ca();
  auto alice = test::enroll(ca, "alice@example.org");
  auto bob = test::enroll(ca, "bob@example.org");
  CHECK(message_signer::create(std::move(alice.key), bob.certificate).error().code ==
        identity_errc::key_certificate_mismatch);
  CHECK(message_signer::create(std::move(bob.key), bob.certificate, alice.certificate.node_ids()[0])
            .error()
            .code == identity_errc::node_id_not_in_certificate);
}

TEST_CASE("StoredData signatures cover the §7.1 input") {
  auto ca = test::make_ca();
  auto creds = test::enroll(ca, "alice@example.org");
  const auto cert = creds.certificate;
  auto signer = must(message_signer::create(std::move(creds.key), cert));
  const auto resource = *wire::resource_id::from_span(std::vector<std::uint8_t>(16, 0xab));
  wire::stored_data data;
  data.storage_time = 1700000000000;
  data.lifetime = 3600;
  data.value.entry = wire::data_value{true, {1, 2, 3}};
  REQUIRE(signer.sign_stored_data(resource, wire::well_known_kind::turn_service, data));
  CHECK(data.signature.identity == signer.identity());
  const auto input =
      *wire::stored_data_signature_input(resource, wire::well_known_kind::turn_service, data);
  CHECK(openssl_verifies(cert, data.signature, input));
}
