#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include "identity/certificate_builder.hpp"
#include "identity/node_certificate.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using namespace std::chrono_literals;
using p2psip::identity::test::must;
using p2psip::wire::hash_algorithm;
using p2psip::wire::node_id;

namespace {

node_id node_of(std::uint8_t fill) {
  node_id::bytes_type b;
  b.fill(fill);
  return node_id(b);
}

std::vector<std::uint8_t> sha256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
  std::vector<std::uint8_t> out(32);
  evp_md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), nullptr);
  return out;
}

}  // namespace

TEST_CASE("a CA-issued certificate carries Node-IDs as reload: URIs and the user as rfc822Name") {
  auto ca = test::make_ca();
  const auto key = must(key_pair::generate());
  const std::vector<node_id> nodes = {node_of(1), node_of(2)};
  const auto cert = must(ca.issue_node_certificate(key.native(), nodes, "alice@example.org",
                                                   std::chrono::system_clock::now()));

  for (const auto& parsed : {must(node_certificate::from_der(cert.der())),
                             must(node_certificate::from_pem(cert.to_pem()))}) {
    CHECK(parsed.node_ids() == nodes);
    CHECK(parsed.node_uris().front().overlay == test::test_overlay);
    CHECK(parsed.user_name() == "alice@example.org");
    CHECK(parsed.has_node_id(node_of(2)));
    CHECK_FALSE(parsed.has_node_id(node_of(3)));
    CHECK(parsed == cert);
  }
  // §11.3: the subject DN is empty, so the subjectAltName must be critical.
  CHECK(X509_NAME_entry_count(X509_get_subject_name(cert.native())) == 0);
  int critical = 0;
  general_names_ptr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.native(), NID_subject_alt_name, &critical, nullptr)));
  CHECK(critical == 1);
  CHECK(sk_GENERAL_NAME_num(names.get()) == 3);
  CHECK_FALSE(cert.is_self_issued());
}

TEST_CASE("certificate hashes are those of SignerIdentity (§6.3.4)") {
  auto ca = test::make_ca();
  const auto creds = test::enroll(ca, "bob@example.org", 2);
  const auto& cert = creds.certificate;
  CHECK(must(cert.hash(hash_algorithm::sha256)) == sha256(cert.der()));
  const auto node = cert.node_ids().at(1);
  CHECK(must(cert.node_id_hash(hash_algorithm::sha256, node)) == sha256(node.bytes(), cert.der()));
  CHECK(cert.hash(hash_algorithm::md5).error().code == identity_errc::unsupported_algorithm);
}

TEST_CASE("validity is checked against the given time") {
  const auto now = std::chrono::system_clock::now();
  auto ca = test::make_ca(now);
  const auto cert = test::enroll(ca, "carol@example.org").certificate;
  CHECK(cert.check_validity(now));
  CHECK(cert.check_validity(now - 10h).error().code == identity_errc::certificate_not_yet_valid);
  CHECK(cert.check_validity(now + 24h * 400).error().code == identity_errc::certificate_expired);
}

TEST_CASE("certificate copies share one X509 and compare equal") {
  auto ca = test::make_ca();
  const auto cert = test::enroll(ca, "dave@example.org").certificate;
  node_certificate copy = cert;
  CHECK(copy == cert);
  CHECK(copy.native() == cert.native());
  CHECK(copy.node_ids() == cert.node_ids());
}

TEST_CASE("a certificate built or parsed here is not parsed again from the same bytes") {
  auto ca = test::make_ca();
  const auto cert = test::enroll(ca, "frank@example.org").certificate;
  const auto again = must(node_certificate::from_der(cert.der()));
  CHECK(again == cert);
  CHECK(again.native() == cert.native());  // the X509 already built, not a second d2i_X509
  CHECK(again.node_ids() == cert.node_ids());
  CHECK(again.user_name() == cert.user_name());

  auto altered = cert.der();
  altered.back() ^= 1;  // a bit of the signature: still a certificate, another one
  const auto other = must(node_certificate::from_der(altered));
  CHECK(other.der() == altered);
  CHECK(other.native() != cert.native());
  CHECK_FALSE(other == cert);
  altered.push_back(0);
  CHECK(node_certificate::from_der(altered).error().code == identity_errc::malformed_certificate);
}

TEST_CASE("malformed certificates are refused") {
  auto ca = test::make_ca();
  auto der = test::enroll(ca, "erin@example.org").certificate.der();
  SECTION("garbage") {
    const std::vector<std::uint8_t> junk = {0x30, 0x03, 0x02, 0x01};
    CHECK(node_certificate::from_der(junk).error().code == identity_errc::malformed_certificate);
  }
  SECTION("trailing bytes after the DER") {
    der.push_back(0);
    CHECK(node_certificate::from_der(der).error().code == identity_errc::malformed_certificate);
  }
  SECTION("no PEM block") {
    CHECK(node_certificate::from_pem("nothing here").error().code ==
          identity_errc::malformed_certificate);
  }
  SECTION("a reload: URI that is not a Node URI") {
    const auto key = must(key_pair::generate());
    x509_ptr x(X509_new());
    X509_set_version(x.get(), X509_VERSION_3);
    X509_set_pubkey(x.get(), key.native());
    X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
    x509_extension_ptr san(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name,
                                               "URI:reload://02@example.org/"));
    X509_add_ext(x.get(), san.get(), -1);
    X509_sign(x.get(), key.native(), EVP_sha256());
    CHECK(node_certificate::from_native(x.get()).error().code ==
          identity_errc::malformed_certificate);
  }
}

TEST_CASE("user names are restricted to plain local@domain characters") {
  CHECK(is_valid_user_name("alice@office.example"));
  CHECK(is_valid_user_name("a.b-c_d+e@x.y"));
  for (const std::string& bad : std::vector<std::string>{"", "alice", "@x", "alice@", "a@b@c", "al ice@x", "al\nice@x",
                                std::string("al\0ice@x", 8), "al,ice@x", std::string(255, 'a') + "@x"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_user_name(bad));
  }
}
