// phone_accounts with a fake CA (an in-memory certificate_authority behind
// account_authority, answering at once): which REGISTERs are challenged,
// what a good, wrong or missing answer leads to, and what is kept.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "identity/certificate_authority.hpp"
#include "scoped_files.hpp"
#include "usage/phone_accounts.hpp"

using namespace p2psip;
using identity::certificate_authority;
using sip::account_verdict;

namespace {

const std::string overlay = "accounts.test.example";
const std::string bob = "bob@accounts.test.example";

// Challenges for bob only; an answer is "good" or refused, as the CA would.
class fake_authority final : public usage::account_authority {
 public:
  certificate_authority ca =
      certificate_authority::in_memory(overlay, std::chrono::system_clock::now()).value();
  wire::node_id box = ca.node_ids_for("box@accounts.test.example", 1).value().front();
  bool reachable = true;
  int challenges = 0;
  int enrollments = 0;

  void challenge(const std::string& user, std::function<void(challenge_result)> done) override {
    ++challenges;
    if (!reachable) {
      return done(identity::identity_error{identity::identity_errc::enrollment_transport, "down"});
    }
    if (user != bob) return done(std::vector<std::string>{});
    done(std::vector<std::string>{
        "Digest realm=\"accounts.test.example\", nonce=\"n1\", algorithm=SHA-256",
        "Digest realm=\"accounts.test.example\", nonce=\"n1\", algorithm=MD5"});
  }
  void enroll(const std::string& user, const std::string& authorization,
              std::shared_ptr<const identity::key_pair> key,
              std::function<void(identity::result<identity::node_certificate>)> done) override {
    ++enrollments;
    if (authorization != "good") {
      return done(identity::identity_error{identity::identity_errc::enrollment_refused,
                                           "HTTP 403: failed_authentication"});
    }
    done(ca.issue_node_certificate(key->native(), {box}, user, std::chrono::system_clock::now()));
  }
};

account_verdict ask(usage::phone_accounts& accounts, const std::string& aor,
                    const std::string& authorization = {}) {
  std::optional<account_verdict> out;
  accounts.gate({aor, authorization}, [&](account_verdict v) { out = std::move(v); });
  REQUIRE(out);  // the fake answers at once
  return *out;
}

usage::phone_accounts make(const std::filesystem::path& dir,
                           const std::shared_ptr<fake_authority>& ca) {
  return usage::phone_accounts(dir, ca, ca->box, std::string("box@accounts.test.example"),
                               {overlay, {ca->ca.root()}, false});
}

}  // namespace

TEST_CASE("a phone's good answer makes an account for its user, bound to the box, kept") {
  test::temp_dir dir;
  auto ca = std::make_shared<fake_authority>();
  auto accounts = make(dir.path(), ca);
  int published = 0;
  accounts.on_certificate = [&](identity::message_signer&) { ++published; };

  const auto first = ask(accounts, "sip:bob@accounts.test.example");
  CHECK(first.what == account_verdict::action::challenge);
  // Every value the CA gave, in its order: one WWW-Authenticate header each.
  REQUIRE(first.challenges.size() == 2);
  CHECK(first.challenges[0].ends_with("nonce=\"n1\", algorithm=SHA-256"));
  CHECK(first.challenges[1].ends_with("nonce=\"n1\", algorithm=MD5"));
  CHECK(accounts.signer(bob) == nullptr);

  CHECK(ask(accounts, "sip:bob@accounts.test.example", "good").what ==
        account_verdict::action::proceed);
  auto* signer = accounts.signer(bob);
  REQUIRE(signer != nullptr);
  CHECK(signer->certificate().user_name() == bob);
  CHECK(signer->node() == ca->box);
  CHECK(published == 1);
  struct stat st {};
  REQUIRE(::stat((dir.path() / bob / "node.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // Held: no more challenges, no CA asked.
  const int asked = ca->challenges + ca->enrollments;
  CHECK(ask(accounts, "sip:bob@accounts.test.example").what == account_verdict::action::proceed);
  CHECK(ca->challenges + ca->enrollments == asked);

  // After a restart: loaded from the directory.
  auto again = make(dir.path(), ca);
  again.load(std::chrono::system_clock::now());
  REQUIRE(again.signer(bob) != nullptr);
  CHECK(again.signer(bob)->certificate() == signer->certificate());
  CHECK(again.certificates().size() == 1);
}

TEST_CASE("a refused answer is 403 and keeps nothing") {
  test::temp_dir dir;
  auto ca = std::make_shared<fake_authority>();
  auto accounts = make(dir.path(), ca);
  const auto refused = ask(accounts, "sip:bob@accounts.test.example", "wrong or replayed");
  CHECK(refused.what == account_verdict::action::refuse);
  CHECK(accounts.signer(bob) == nullptr);
  CHECK_FALSE(std::filesystem::exists(dir.path() / bob));
}

TEST_CASE("no challenge the phone cannot answer") {
  test::temp_dir dir;
  auto ca = std::make_shared<fake_authority>();
  auto accounts = make(dir.path(), ca);
  // No password at the CA for carol, the box's own user, the CA down.
  CHECK(ask(accounts, "sip:carol@accounts.test.example").what == account_verdict::action::proceed);
  CHECK(ask(accounts, "sip:box@accounts.test.example").what == account_verdict::action::proceed);
  ca->reachable = false;
  CHECK(ask(accounts, "sip:bob@accounts.test.example").what == account_verdict::action::proceed);
  CHECK(ca->challenges == 2);  // the box's own user is not asked about
}

TEST_CASE("saved accounts for another Node-ID or another CA are left out") {
  test::temp_dir dir;
  auto ca = std::make_shared<fake_authority>();
  {
    auto accounts = make(dir.path(), ca);
    (void)ask(accounts, "sip:bob@accounts.test.example", "good");
  }
  auto moved = std::make_shared<fake_authority>();  // another CA, another box
  auto elsewhere = make(dir.path(), moved);
  elsewhere.load(std::chrono::system_clock::now());
  CHECK(elsewhere.signer(bob) == nullptr);
  CHECK(elsewhere.certificates().empty());
}
