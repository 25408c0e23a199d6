#include <catch2/catch.hpp>

#include "identity/account_digest.hpp"
#include "identity/password_file.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::must;

TEST_CASE("accounts authenticate with exactly their password") {
  const auto alice = must(password_file::make_entry("alice@example.org", "s3cret", 1000));
  const auto bob = must(password_file::make_entry("bob@example.org", "hunter2", 1000));
  CHECK(alice.find("s3cret") == std::string::npos);
  const auto users = must(password_file::parse("# accounts\n" + alice + "\n\n" + bob + "\n"));
  CHECK(users.size() == 2);
  CHECK(users.authenticate("alice@example.org", "s3cret"));
  CHECK_FALSE(users.authenticate("alice@example.org", "S3cret"));
  CHECK_FALSE(users.authenticate("alice@example.org", "hunter2"));
  CHECK_FALSE(users.authenticate("carol@example.org", "s3cret"));
  CHECK_FALSE(users.authenticate("alice@example.org", ""));
}

TEST_CASE("the same password gets a different salt each time") {
  CHECK(must(password_file::make_entry("a@b.c", "pw", 1000)) !=
        must(password_file::make_entry("a@b.c", "pw", 1000)));
}

TEST_CASE("malformed users files are refused with the line number") {
  const auto good = must(password_file::make_entry("a@b.c", "pw", 1000));
  for (const std::string& bad : std::vector<std::string>{
           "alice:plain", "a@b.c:md5:1:00:00", "a@b.c:pbkdf2-sha256:x:00:00",
           "a@b.c:pbkdf2-sha256:0:0011:" + std::string(64, '0'),
           "a@b.c:pbkdf2-sha256:1000:zz:" + std::string(64, '0'),
           "a@b.c:pbkdf2-sha256:1000:0011:00", good + "\n" + good}) {
    INFO(bad);
    const auto parsed = password_file::parse(bad);
    REQUIRE_FALSE(parsed);
    CHECK_THAT(parsed.error().detail, Catch::Contains("line"));
  }
  CHECK(password_file::make_entry("a:b", "pw").error().code == identity_errc::invalid_user_name);
}

TEST_CASE("an account local@domain keeps its digest H(A1)s for realm domain, older lines fewer") {
  const auto md5 = digest_ha1(digest_algorithm::md5, "bob", "office.example", "pw");
  const auto sha256 = digest_ha1(digest_algorithm::sha256, "bob", "office.example", "pw");
  const auto bob = must(password_file::make_entry("bob@office.example", "pw", 1000));
  CHECK_THAT(bob, Catch::EndsWith(":digest-md5=" + md5 + ":digest-sha256=" + sha256));
  // The same line written before SHA-256 (MD5 only), and before digests.
  const auto md5_only = bob.substr(0, bob.rfind(':'));
  const auto no_digest = md5_only.substr(0, md5_only.rfind(':'));
  const auto users =
      must(password_file::parse(bob + "\n" + "erin" + md5_only.substr(md5_only.find(':')) + "\n" +
                                "carol" + no_digest.substr(no_digest.find(':'))));
  CHECK(users.digest_ha1("bob@office.example", digest_algorithm::md5) == md5);
  CHECK(users.digest_ha1("bob@office.example", digest_algorithm::sha256) == sha256);
  CHECK(users.digest_ha1("erin", digest_algorithm::md5) == md5);
  CHECK_FALSE(users.digest_ha1("erin", digest_algorithm::sha256));
  CHECK(users.authenticate("bob@office.example", "pw"));
  CHECK(users.authenticate("erin", "pw"));
  CHECK(users.authenticate("carol", "pw"));
  CHECK_FALSE(users.digest_ha1("carol", digest_algorithm::md5));
  CHECK_FALSE(users.digest_ha1("dave@office.example", digest_algorithm::md5));
  // Only the algorithms asked for (p2psip-ca passwd --digest).
  const auto md5_entry =
      must(password_file::make_entry("bob@office.example", "pw", 1000, {{digest_algorithm::md5}}));
  CHECK_THAT(md5_entry, Catch::EndsWith(":digest-md5=" + md5));
  const auto sha_entry = must(
      password_file::make_entry("bob@office.example", "pw", 1000, {{digest_algorithm::sha256}}));
  CHECK_THAT(sha_entry, Catch::EndsWith(":digest-sha256=" + sha256));
  CHECK(sha_entry.find("digest-md5") == std::string::npos);
  for (const std::string& bad :
       {no_digest + ":digest-md5=00", no_digest + ":md5=" + std::string(32, '0'),
        no_digest + ":digest-md5=" + std::string(32, 'G'),
        no_digest + ":digest-sha256=" + std::string(32, '0'),
        no_digest + ":digest-md5=" + md5 + ":digest-md5=" + md5, bob + ":digest-md5=" + md5}) {
    INFO(bad);
    CHECK_FALSE(password_file::parse(bad));
  }
}
