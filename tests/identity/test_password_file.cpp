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

TEST_CASE("an account local@domain keeps its digest H(A1) for realm domain, older lines none") {
  const auto bob = must(password_file::make_entry("bob@office.example", "pw", 1000));
  CHECK_THAT(bob, Catch::Contains(":digest-md5=" + digest_ha1_md5("bob", "office.example", "pw")));
  const auto old_style = bob.substr(0, bob.rfind(':'));  // written before digest H(A1)s
  const auto users = must(password_file::parse(old_style.substr(0, 0) + bob + "\n" + "carol" +
                                               old_style.substr(old_style.find(':'))));
  CHECK(users.digest_ha1("bob@office.example") == digest_ha1_md5("bob", "office.example", "pw"));
  CHECK(users.authenticate("bob@office.example", "pw"));
  CHECK(users.authenticate("carol", "pw"));
  CHECK_FALSE(users.digest_ha1("carol"));
  CHECK_FALSE(users.digest_ha1("dave@office.example"));
  for (const std::string& bad :
       {old_style + ":digest-md5=00", old_style + ":md5=" + std::string(32, '0'),
        old_style + ":digest-md5=" + std::string(32, 'G')}) {
    INFO(bad);
    CHECK_FALSE(password_file::parse(bad));
  }
}
