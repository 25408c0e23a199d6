#include <catch2/catch.hpp>

#include <algorithm>

#include <openssl/evp.h>

#include "identity/certificate_builder.hpp"
#include "identity/self_signed.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::must;
using p2psip::wire::hash_algorithm;
using p2psip::wire::node_id;

namespace {

// High-order 16 bytes of md(prefix || SubjectPublicKeyInfo DER), computed here
// independently of the library.
node_id expected_node(const key_pair& key, const EVP_MD* md, std::vector<std::uint8_t> prefix) {
  unsigned char* spki = nullptr;
  const int len = i2d_PUBKEY(key.native(), &spki);
  REQUIRE(len > 0);
  prefix.insert(prefix.end(), spki, spki + len);
  OPENSSL_free(spki);
  unsigned char hash[EVP_MAX_MD_SIZE];
  REQUIRE(EVP_Digest(prefix.data(), prefix.size(), hash, nullptr, md, nullptr) == 1);
  node_id::bytes_type bytes;
  std::copy_n(hash, bytes.size(), bytes.begin());
  return node_id(bytes);
}

}  // namespace

TEST_CASE("one self-signed Node-ID is the digest of the SubjectPublicKeyInfo (§11.3.1)") {
  const auto key = must(key_pair::generate());
  CHECK(must(self_signed_node_ids(key.native(), hash_algorithm::sha256, 1)) ==
        std::vector<node_id>{expected_node(key, EVP_sha256(), {})});
  CHECK(must(self_signed_node_ids(key.native(), hash_algorithm::sha1, 1)) ==
        std::vector<node_id>{expected_node(key, EVP_sha1(), {})});
}

TEST_CASE("several self-signed Node-IDs prepend their 1-based index, big-endian") {
  const auto key = must(key_pair::generate(key_algorithm::rsa_2048));
  const auto ids = must(self_signed_node_ids(key.native(), hash_algorithm::sha256, 3));
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] == expected_node(key, EVP_sha256(), {0, 0, 0, 1}));
  CHECK(ids[2] == expected_node(key, EVP_sha256(), {0, 0, 0, 3}));
}

TEST_CASE("only sha1 and sha256 derive self-signed Node-IDs") {
  const auto key = must(key_pair::generate());
  CHECK(self_signed_node_ids(key.native(), hash_algorithm::sha512, 1).error().code ==
        identity_errc::unsupported_algorithm);
}

TEST_CASE("a self-signed certificate carries the derived Node-IDs and the chosen name") {
  const auto key = must(key_pair::generate());
  self_signed_request request{test::test_overlay, "relief@adhoc.example"};
  request.node_id_count = 2;
  const auto cert = must(make_self_signed_certificate(key, request, std::chrono::system_clock::now()));
  CHECK(cert.is_self_issued());
  CHECK(cert.node_ids() == must(self_signed_node_ids(key.native(), hash_algorithm::sha256, 2)));
  CHECK(cert.user_name() == "relief@adhoc.example");
  CHECK(check_self_signed_node_ids(cert, hash_algorithm::sha256));
  // Checked with the overlay's digest: a sha1 overlay derives other IDs.
  CHECK(check_self_signed_node_ids(cert, hash_algorithm::sha1).error().code ==
        identity_errc::self_signed_node_id_mismatch);
}

TEST_CASE("a self-signed certificate claiming a Node-ID not derived from its key is refused") {
  const auto key = must(key_pair::generate());
  const auto other = must(key_pair::generate());
  certificate_spec spec;
  spec.subject_key = key.native();
  spec.node_ids = must(self_signed_node_ids(other.native(), hash_algorithm::sha256, 1));
  spec.overlay = test::test_overlay;
  spec.user_name = "thief@example.org";
  spec.not_before = std::chrono::system_clock::now();
  spec.not_after = spec.not_before + std::chrono::hours(1);
  const auto stolen = must(issue_certificate(spec, key, nullptr));
  CHECK(check_self_signed_node_ids(stolen, hash_algorithm::sha256).error().code ==
        identity_errc::self_signed_node_id_mismatch);
}

TEST_CASE("self-signed user names are validated") {
  const auto key = must(key_pair::generate());
  CHECK(make_self_signed_certificate(key, {test::test_overlay, "no at sign"},
                                    std::chrono::system_clock::now())
            .error()
            .code == identity_errc::invalid_user_name);
}
