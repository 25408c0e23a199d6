#include <catch2/catch.hpp>

#include <openssl/pem.h>

#include "identity/certificate_request.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::must;

namespace {

// A CSR built straight with OpenSSL, asking for whatever SAN `san` says.
std::string raw_csr(const key_pair& key, const char* san) {
  x509_req_ptr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), key.native());
  extension_stack_ptr exts(sk_X509_EXTENSION_new_null());
  sk_X509_EXTENSION_push(exts.get(), X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san));
  X509_REQ_add_extensions(req.get(), exts.get());
  X509_REQ_sign(req.get(), key.native(), EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

TEST_CASE("a CSR carries the key and the requested user name, DER or PEM") {
  const auto key = must(key_pair::generate());
  const auto csr = must(certificate_request::create(key, "alice@example.org"));
  const auto der = must(csr.to_der());
  const auto parsed = must(certificate_request::parse(der));
  CHECK(parsed.user_name() == "alice@example.org");
  CHECK(EVP_PKEY_eq(parsed.public_key(), key.native()) == 1);

  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  x509_req_ptr decoded(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(decoded);
  bio_ptr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509_REQ(bio.get(), decoded.get()) == 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  CHECK(must(certificate_request::parse(std::string_view(data, static_cast<std::size_t>(len))))
            .user_name() == "alice@example.org");
}

TEST_CASE("a CSR asking for a Node-ID is refused") {
  const auto key = must(key_pair::generate());
  for (const char* san :
       {"URI:reload://0110000102030405060708090a0b0c0d0e0f@overlay.test.example/",
        "email:alice@example.org,URI:reload:whatever"}) {
    const auto parsed = certificate_request::parse(raw_csr(key, san));
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == identity_errc::request_asks_for_node_id);
    CHECK_THAT(parsed.error().detail, Catch::Contains("assigns Node-IDs"));
  }
}

TEST_CASE("malformed CSRs are refused with a reason") {
  const auto key = must(key_pair::generate());
  auto der = must(must(certificate_request::create(key, "alice@example.org")).to_der());
  SECTION("garbage") {
    CHECK(certificate_request::parse("not a csr").error().code == identity_errc::malformed_request);
  }
  SECTION("truncated") {
    der.resize(der.size() / 2);
    CHECK(certificate_request::parse(der).error().code == identity_errc::malformed_request);
  }
  SECTION("trailing bytes") {
    der += "x";
    CHECK(certificate_request::parse(der).error().code == identity_errc::malformed_request);
  }
  SECTION("signature does not match the key") {
    der[der.size() - 3] = static_cast<char>(der[der.size() - 3] ^ 0x01);
    const auto parsed = certificate_request::parse(der);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == identity_errc::malformed_request);
  }
  SECTION("two user names") {
    const auto parsed = certificate_request::parse(raw_csr(key, "email:a@x.y,email:b@x.y"));
    CHECK(parsed.error().code == identity_errc::malformed_request);
  }
}
