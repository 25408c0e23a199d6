#include <catch2/catch.hpp>

#include "identity/certificate_authority.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity_test_util.hpp"

using namespace p2psip::identity;
using p2psip::identity::test::must;

TEST_CASE("init writes a 0600 key and a root-cert named for the overlay; open reads them") {
  test::temp_dir dir;
  const auto now = std::chrono::system_clock::now();
  const auto ca_dir = dir.path() / "ca";
  const auto created = must(certificate_authority::init(ca_dir, "office.example", now));
  CHECK(test::file_mode(ca_dir / "ca.key") == 0600);
  CHECK(X509_check_ca(created.root().native()) == 1);

  const auto opened = must(certificate_authority::open(ca_dir));
  CHECK(opened.overlay() == "office.example");
  CHECK(opened.root() == created.root());

  const auto again = certificate_authority::init(ca_dir, "office.example", now);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == identity_errc::io_error);
}

TEST_CASE("Node-IDs are random, and a returning user keeps them across restarts") {
  test::temp_dir dir;
  const auto now = std::chrono::system_clock::now();
  auto ca = must(certificate_authority::init(dir.path(), "office.example", now));
  const auto alice = must(ca.node_ids_for("alice@office.example", 2));
  const auto bob = must(ca.node_ids_for("bob@office.example", 1));
  REQUIRE(alice.size() == 2);
  CHECK(alice[0] != alice[1]);
  CHECK(alice[0] != bob[0]);
  CHECK(test::file_mode(dir.path() / "assignments") == 0600);

  auto reopened = must(certificate_authority::open(dir.path()));
  CHECK(must(reopened.node_ids_for("alice@office.example", 2)) == alice);
  const auto three = must(reopened.node_ids_for("alice@office.example", 3));
  CHECK(std::vector(three.begin(), three.begin() + 2) == alice);
}

TEST_CASE("issued node certificates chain to the root and carry what the CA chose") {
  const auto now = std::chrono::system_clock::now();
  auto ca = test::make_ca(now);
  const auto issued = test::enroll(ca, "alice@example.org", 2);
  CHECK(issued.certificate.node_ids() == must(ca.node_ids_for("alice@example.org", 2)));
  CHECK(must(certificate_verifier(test::ca_policy(ca)).verify(issued.certificate, {}, now))
            .user_name == "alice@example.org");
  CHECK(ca.enroll_offline("not a user", 1, now).error().code == identity_errc::invalid_user_name);
}

TEST_CASE("the enrollment server's certificate names the overlay") {
  auto ca = test::make_ca();
  const auto server = must(ca.issue_server_certificate(std::chrono::system_clock::now(), {"localhost"}));
  CHECK(X509_check_host(server.certificate.native(), test::test_overlay, 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.certificate.native(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(server.certificate.native(), "evil.example", 0, 0, nullptr) == 0);
  CHECK(server.certificate.node_ids().empty());
}
