// The AORs apps own: claims, leases, take-over and refresh against a fake
// front; the connection side (events, close) is in tests/control and the
// whole path in tests/sip/test_p2psipd_apps.sh.
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "../scoped_files.hpp"
#include "identity/atomic_file.hpp"
#include "usage/app_bindings.hpp"

using namespace p2psip;
using namespace std::chrono_literals;
using usage::app_bindings;
using usage::app_claim;

namespace {

struct bind_call {
  std::string aor;
  std::string token;
  std::chrono::seconds expires;
};

struct fake_front {
  std::vector<bind_call> calls;
  int status = 200;
  app_bindings::binder binder() {
    return [this](const std::string& aor, const std::string& token, std::chrono::seconds expires,
                  std::function<void(sip::app_binding_answer)> done) {
      calls.push_back({aor, token, expires});
      done({status, status == 200 ? "OK" : "Forbidden", "sip:app-" + token + "@127.0.0.1:5060",
            status == 200 ? expires : 0s});
    };
  }
};

app_claim claim(app_bindings& apps, const std::string& aor,
                std::optional<std::chrono::seconds> lease,
                const control::client_handle& client = {}) {
  app_claim out;
  apps.claim(aor, client, lease, [&out](const app_claim& c) { out = c; });
  return out;
}

}  // namespace

TEST_CASE("a lease binds the AOR for its length, capped, and outlives its client") {
  fake_front front;
  app_bindings apps(front.binder(), 3600s);
  const auto c = claim(apps, "sip:app@x", 600s);
  CHECK(c.status == 200);
  CHECK(c.expires == 600s);
  CHECK(c.lease == 600s);
  REQUIRE(front.calls.size() == 1);
  CHECK(front.calls[0].aor == "sip:app@x");
  CHECK(front.calls[0].token.size() == 32);
  CHECK(apps.size() == 1);
  // No live client holds it: a MESSAGE is not queued (the sender's daemon
  // then keeps it offline).
  CHECK_FALSE(
      apps.deliver({front.calls[0].token, "id", "sip:a@x", "sip:app@x", "text/plain", "hi"}));
  CHECK_FALSE(apps.deliver({"unknown", "id", "sip:a@x", "sip:app@x", "text/plain", "hi"}));

  // The next client takes the binding over: same token, no second contact.
  const auto again = claim(apps, "sip:app@x", 7200s);
  CHECK(again.status == 200);
  CHECK(again.expires == 3600s);  // a lease longer than a binding is refreshed
  REQUIRE(front.calls.size() == 2);
  CHECK(front.calls[1].token == front.calls[0].token);
  CHECK(apps.size() == 1);
}

TEST_CASE("a client taking a lease over without one keeps the lease's time left") {
  fake_front front;
  app_bindings apps(front.binder(), 3600s);
  REQUIRE(claim(apps, "sip:app@x", 600s).status == 200);
  const auto taken = claim(apps, "sip:app@x", std::nullopt);
  CHECK(taken.status == 200);
  CHECK(taken.lease > 590s);
  CHECK(taken.lease <= 600s);
  REQUIRE(front.calls.size() == 2);
  CHECK(front.calls[1].token == front.calls[0].token);
  CHECK(front.calls[1].expires == taken.lease);  // the binding ends with the lease
  // Its client gone (a default handle is never connected), the lease still
  // holds the AOR: MESSAGEs are not queued and go offline.
  CHECK(apps.size() == 1);
  CHECK_FALSE(
      apps.deliver({front.calls[0].token, "id", "sip:a@x", "sip:app@x", "text/plain", "hi"}));
}

TEST_CASE("a connection-bound AOR of a client already gone is removed at once") {
  fake_front front;
  app_bindings apps(front.binder(), 3600s);
  const auto c = claim(apps, "sip:app@x", std::nullopt);
  CHECK(c.status == 200);
  CHECK(c.lease == 0s);
  REQUIRE(front.calls.size() == 2);
  CHECK(front.calls[1].token == front.calls[0].token);
  CHECK(front.calls[1].expires == 0s);
  CHECK(apps.size() == 0);
}

TEST_CASE("a refused claim keeps nothing, and release removes only what is owned") {
  fake_front front;
  app_bindings apps(front.binder(), 3600s);
  front.status = 403;
  const auto refused = claim(apps, "sip:other@y", 600s);
  CHECK(refused.status == 403);
  CHECK(apps.size() == 0);

  front.status = 200;
  REQUIRE(claim(apps, "sip:app@x", 600s).status == 200);
  CHECK_FALSE(apps.release("sip:nobody@x", {}));
  CHECK(apps.size() == 1);
  // A lease nobody holds may be given up by any client.
  CHECK(apps.release("sip:app@x", {}));
  CHECK(front.calls.back().expires == 0s);
  CHECK(apps.size() == 0);
}

TEST_CASE("leases are refreshed at half a binding and forgotten when they end") {
  fake_front front;
  app_bindings apps(front.binder(), 120s);
  REQUIRE(claim(apps, "sip:app@x", 300s).status == 200);
  REQUIRE(front.calls.size() == 1);
  CHECK(front.calls[0].expires == 120s);
  const auto start = usage::app_clock::now();
  apps.tick(start + 30s);  // 90 s of 120 left: not due
  CHECK(front.calls.size() == 1);
  apps.tick(start + 70s);  // 50 s left: refreshed for what the lease has left
  REQUIRE(front.calls.size() == 2);
  CHECK(front.calls[1].expires <= 120s);
  CHECK(front.calls[1].expires >= 60s);
  apps.tick(start + 301s);  // the lease is over
  CHECK(apps.size() == 0);
}

TEST_CASE("a lease outlives a restart through the lease file; a connection-bound AOR does not") {
  p2psip::test::temp_dir dir;
  const auto file = dir.path() / usage::app_leases_file_name;
  fake_front front;
  std::string leased_token;
  {
    app_bindings apps(front.binder(), 3600s, file);
    REQUIRE(claim(apps, "sip:app@x", 7200s).status == 200);
    leased_token = front.calls.back().token;
    REQUIRE(claim(apps, "sip:short@x", 120s).status == 200);
    CHECK(apps.release("sip:short@x", {}));  // given up: not restored
    CHECK(std::filesystem::status(file).permissions() ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
  front.calls.clear();
  app_bindings restarted(front.binder(), 3600s, file);
  CHECK(restarted.size() == 1);  // the released one is not back
  // No client yet: a MESSAGE is not queued, so the sender keeps it offline.
  CHECK_FALSE(restarted.deliver({leased_token, "id", "sip:a@x", "sip:app@x", "text/plain", "hi"}));
  // The first tick binds the restored contact again, same token.
  restarted.tick(usage::app_clock::now());
  REQUIRE(front.calls.size() == 1);
  CHECK(front.calls[0].token == leased_token);
  CHECK(front.calls[0].aor == "sip:app@x");
  CHECK(front.calls[0].expires == 3600s);
  // The next client takes it over.
  REQUIRE(claim(restarted, "sip:app@x", 600s).status == 200);
  CHECK(front.calls.back().token == leased_token);
  CHECK(restarted.size() == 1);
}

TEST_CASE("an ended lease or a damaged lease file restores nothing") {
  p2psip::test::temp_dir dir;
  const auto file = dir.path() / usage::app_leases_file_name;
  fake_front front;
  SECTION("ended") {
    REQUIRE(identity::write_file_atomically(
        file,
        R"({"format":"p2psipd-app-leases","version":1,"leases":[{"aor":"sip:app@x","token":"ab","until":1000}]})",
        identity::secret_file_mode));
    app_bindings apps(front.binder(), 3600s, file);
    CHECK(apps.size() == 0);
  }
  SECTION("damaged") {
    REQUIRE(identity::write_file_atomically(file, "{not json", identity::secret_file_mode));
    app_bindings apps(front.binder(), 3600s, file);
    CHECK(apps.size() == 0);
  }
}
