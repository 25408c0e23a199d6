#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "identity/atomic_file.hpp"
#include "identity/key_pair.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::file_mode;
using p2psip::identity::test::must;
using p2psip::identity::test::temp_dir;

TEST_CASE("generated keys have the requested algorithm and signature algorithm") {
  const auto ec = must(key_pair::generate());
  CHECK(ec.algorithm() == key_algorithm::ecdsa_p256);
  CHECK(EVP_PKEY_is_a(ec.native(), "EC"));
  CHECK(signature_algorithm_for(ec.algorithm()).signature == p2psip::wire::signature_algorithm::ecdsa);

  const auto rsa = must(key_pair::generate(key_algorithm::rsa_2048));
  CHECK(rsa.algorithm() == key_algorithm::rsa_2048);
  CHECK(EVP_PKEY_get_bits(rsa.native()) == 2048);
  CHECK(signature_algorithm_for(rsa.algorithm()).signature == p2psip::wire::signature_algorithm::rsa);
  CHECK(signature_algorithm_for(rsa.algorithm()).hash == p2psip::wire::hash_algorithm::sha256);
}

TEST_CASE("PEM round trip keeps the key") {
  for (const auto algorithm : {key_algorithm::ecdsa_p256, key_algorithm::rsa_2048}) {
    const auto key = must(key_pair::generate(algorithm));
    const auto back = must(key_pair::from_pem(must(key.to_pem())));
    CHECK(back.algorithm() == algorithm);
    CHECK(EVP_PKEY_eq(key.native(), back.native()) == 1);
    CHECK(must(back.public_key_der()) == must(key.public_key_der()));
  }
}

// The Node-ID input (§11.3.1) must not change with how it is computed: the
// P-256 shortcut gives exactly what OpenSSL's encoder gives, also for a
// compressed point, which takes the encoder's path.
TEST_CASE("public_key_der is the DER SubjectPublicKeyInfo i2d_PUBKEY writes") {
  const auto openssl_der = [](EVP_PKEY* key) {
    std::vector<std::uint8_t> der(static_cast<std::size_t>(i2d_PUBKEY(key, nullptr)));
    unsigned char* out = der.data();
    REQUIRE(i2d_PUBKEY(key, &out) == static_cast<int>(der.size()));
    return der;
  };
  for (const auto algorithm : {key_algorithm::ecdsa_p256, key_algorithm::rsa_2048}) {
    const auto key = must(key_pair::generate(algorithm));
    CHECK(must(key.public_key_der()) == openssl_der(key.native()));
  }
  const auto key = must(key_pair::generate());
  REQUIRE(EVP_PKEY_set_utf8_string_param(key.native(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                         OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED) == 1);
  const auto compressed = must(key.public_key_der());
  CHECK(compressed == openssl_der(key.native()));
  CHECK(compressed.size() < 91);  // 26-byte header + 65-byte uncompressed point
}

TEST_CASE("saved keys are 0600, replaced atomically, and load back") {
  temp_dir dir;
  const auto path = dir.path() / "node.key";
  const auto first = must(key_pair::generate());
  REQUIRE(first.save(path));
  CHECK(file_mode(path) == 0600);

  const auto second = must(key_pair::generate());
  REQUIRE(second.save(path));
  CHECK(file_mode(path) == 0600);
  CHECK(EVP_PKEY_eq(must(key_pair::load(path)).native(), second.native()) == 1);
  // Nothing but the key is left behind: the temp file was renamed over it.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("the umask cannot widen and does not narrow a secret's mode") {
  temp_dir dir;
  const mode_t old = ::umask(0);
  const auto key = must(key_pair::generate());
  const bool saved = key.save(dir.path() / "k.pem").ok();
  ::umask(old);
  REQUIRE(saved);
  CHECK(file_mode(dir.path() / "k.pem") == 0600);
}

TEST_CASE("a private key file readable by group or others is refused") {
  temp_dir dir;
  const auto path = dir.path() / "node.key";
  REQUIRE(must(key_pair::generate()).save(path));
  for (const mode_t mode : {0640, 0604, 0660, 0644}) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    const auto loaded = key_pair::load(path);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == identity_errc::insecure_key_file);
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(key_pair::load(path));
}

TEST_CASE("bad key input is refused with a reason") {
  temp_dir dir;
  SECTION("missing file") {
    CHECK(key_pair::load(dir.path() / "absent").error().code == identity_errc::io_error);
  }
  SECTION("not PEM") {
    CHECK(key_pair::from_pem("hello").error().code == identity_errc::malformed_key);
  }
  SECTION("a key type we do not use") {
    evp_pkey_ptr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
    evp_pkey_ptr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    for (EVP_PKEY* key : {p384.get(), ed.get()}) {
      bio_ptr bio(BIO_new(BIO_s_mem()));
      REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr));
      char* data = nullptr;
      const long len = BIO_get_mem_data(bio.get(), &data);
      const auto loaded = key_pair::from_pem(std::string_view(data, static_cast<std::size_t>(len)));
      REQUIRE_FALSE(loaded);
      CHECK(loaded.error().code == identity_errc::unsupported_key);
    }
  }
  SECTION("oversized file") {
    REQUIRE(write_file_atomically(dir.path() / "big", std::string(100000, 'x'), 0600));
    CHECK(key_pair::load(dir.path() / "big").error().code == identity_errc::io_error);
  }
}

namespace {

std::string private_scalar_hex(const key_pair& key) {
  BIGNUM* scalar = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key.native(), OSSL_PKEY_PARAM_PRIV_KEY, &scalar) == 1);
  char* hex = BN_bn2hex(scalar);
  std::string text(hex);
  OPENSSL_free(hex);
  BN_clear_free(scalar);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

// A registrar re-creates each user's key from its seed after a restart: the
// derivation must never change, or values stored before an upgrade would be
// orphaned. The expected scalars are HMAC-SHA256(seed, label || 0 || 0),
// computed independently (Python's hmac module).
TEST_CASE("a key derived from a seed and a label is the same every time") {
  const key_seed zeros{};
  key_seed counting{};
  for (std::size_t i = 0; i < counting.size(); ++i) counting[i] = static_cast<std::uint8_t>(i);

  const auto alice = must(key_pair::derive(zeros, "alice@example.org"));
  CHECK(alice.algorithm() == key_algorithm::ecdsa_p256);
  CHECK(private_scalar_hex(alice) ==
        "c2e083e280528be56b8be701b59183741bfdc9d3f2f466eb996f7ee0f168e6b6");
  CHECK(private_scalar_hex(must(key_pair::derive(counting, "bob@example.org"))) ==
        "898a4c45b91f7697d00ec14f1267ce5a651939396c8e43e3df40770d8f05c659");
  // The public half matches the private one, and both survive PEM.
  evp_pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, alice.native(), nullptr));
  CHECK(EVP_PKEY_pairwise_check(check.get()) == 1);
  CHECK(EVP_PKEY_eq(must(key_pair::from_pem(must(alice.to_pem()))).native(), alice.native()) == 1);

  CHECK(EVP_PKEY_eq(must(key_pair::derive(zeros, "alice@example.org")).native(), alice.native()) ==
        1);
  CHECK(EVP_PKEY_eq(must(key_pair::derive(zeros, "alice@example.net")).native(), alice.native()) !=
        1);
  CHECK(EVP_PKEY_eq(must(key_pair::derive(counting, "alice@example.org")).native(),
                    alice.native()) != 1);
  const auto seed = must(key_pair::generate_seed());
  CHECK(seed != must(key_pair::generate_seed()));
}
