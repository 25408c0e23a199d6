#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "identity/credential_store.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using namespace std::chrono_literals;
using p2psip::identity::test::must;

namespace {
const auto now = std::chrono::system_clock::now();
const self_signed_request adhoc{test::test_overlay, "relief@adhoc.example"};
}  // namespace

TEST_CASE("an empty state directory holds no credentials") {
  test::temp_dir dir;
  CHECK_FALSE(must(credential_store(dir.path() / "state").load()).has_value());
}

TEST_CASE("self-signed credentials survive a restart with the same Node-ID") {
  test::temp_dir dir;
  const auto state = dir.path() / "state";
  const auto first = must(credential_store(state).load_or_create_self_signed(adhoc, now));
  CHECK(test::file_mode(state / "node.key") == 0600);
  CHECK(test::file_mode(state) == 0700);

  // A new store object stands for the restarted daemon.
  const auto again = must(credential_store(state).load_or_create_self_signed(adhoc, now + 1h));
  CHECK(again.certificate == first.certificate);
  CHECK(again.certificate.node_ids() == first.certificate.node_ids());
}

TEST_CASE("an expired self-signed certificate is renewed for the same key and Node-ID") {
  test::temp_dir dir;
  const credential_store store(dir.path());
  const auto first = must(store.load_or_create_self_signed(adhoc, now));
  const auto renewed = must(store.load_or_create_self_signed(adhoc, now + 24h * 400));
  CHECK_FALSE(renewed.certificate == first.certificate);
  CHECK(renewed.certificate.node_ids() == first.certificate.node_ids());
  CHECK(renewed.certificate.check_validity(now + 24h * 400));
}

TEST_CASE("saved enrolled credentials keep their roots") {
  test::temp_dir dir;
  auto ca = test::make_ca(now);
  auto issued = test::enroll(ca, "alice@example.org");
  const credential_store store(dir.path());
  REQUIRE(store.save({std::move(issued.key), issued.certificate, {ca.root()}}));
  const auto loaded = must(store.load());
  REQUIRE(loaded);
  CHECK(loaded->certificate == issued.certificate);
  REQUIRE(loaded->root_certs.size() == 1);
  CHECK(loaded->root_certs[0] == ca.root());
}

TEST_CASE("a state directory with a mismatched or exposed key is refused") {
  test::temp_dir dir;
  const credential_store store(dir.path());
  must(store.load_or_create_self_signed(adhoc, now));
  SECTION("exposed key") {
    REQUIRE(::chmod((dir.path() / "node.key").c_str(), 0644) == 0);
    CHECK(store.load().error().code == identity_errc::insecure_key_file);
  }
  SECTION("certificate for another key") {
    REQUIRE(must(key_pair::generate()).save(dir.path() / "node.key"));
    CHECK(store.load().error().code == identity_errc::key_certificate_mismatch);
  }
}
