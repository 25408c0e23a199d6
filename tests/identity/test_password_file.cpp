#include <catch2/catch.hpp>

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
