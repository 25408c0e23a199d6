#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <iterator>

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

TEST_CASE("a key seed is made once, saved 0600 and read back") {
  test::temp_dir dir;
  const credential_store store(dir.path() / "state");
  const auto made = must(store.load_or_create_seed("aor.seed"));
  const auto path = dir.path() / "state" / "aor.seed";
  CHECK(test::file_mode(path) == 0600);
  CHECK(must(store.load_or_create_seed("aor.seed")) == made);
  CHECK(must(credential_store(dir.path() / "state").load_or_create_seed("aor.seed")) == made);
  CHECK(must(store.load_or_create_seed("other.seed")) != made);
}

TEST_CASE("a damaged or exposed key seed is refused and left as it is") {
  test::temp_dir dir;
  const credential_store store(dir.path());
  const auto path = dir.path() / "aor.seed";
  const auto write = [&](const std::string& text, mode_t mode) {
    { std::ofstream(path) << text; }
    REQUIRE(::chmod(path.c_str(), mode) == 0);
  };
  const auto contents = [&] {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string good(64, 'a');
  const std::pair<std::string, std::string> cases[] = {
      {good.substr(0, 62) + "\n", "not a key seed"},
      {good + "00\n", "not a key seed"},
      {good.substr(0, 63) + "g\n", "not a key seed"},
      {std::string(64, 'A') + "\n", "not a key seed"},
      {"", "not a key seed"},
  };
  for (const auto& [text, why] : cases) {
    INFO(text);
    write(text, 0600);
    const auto loaded = store.load_or_create_seed("aor.seed");
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().describe(), Catch::Contains(why) && Catch::Contains(path.string()));
    CHECK(contents() == text);  // not replaced by a new seed
  }
  write(good + "\n", 0644);
  const auto exposed = store.load_or_create_seed("aor.seed");
  REQUIRE_FALSE(exposed);
  CHECK(exposed.error().code == identity_errc::insecure_key_file);
  CHECK(contents() == good + "\n");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  key_seed expected;
  expected.fill(0xaa);
  CHECK(must(store.load_or_create_seed("aor.seed")) == expected);
}
