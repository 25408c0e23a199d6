#include <catch2/catch.hpp>

#include <map>

#include "sip/routing.hpp"
#include "sip_test_util.hpp"

using namespace p2psip;
using namespace p2psip::sip;
using namespace std::chrono_literals;

namespace {

using test::node;

// A scripted directory: answers from a map, or holds the callback to answer
// later (as the overlay does).
struct fake_directory final : overlay_directory {
  std::map<std::string, lookup_result> answers;
  std::vector<std::string> asked;
  std::function<void(lookup_result)> held;
  bool hold = false;
  void publish(const binding_set&) override {}
  void withdraw(const std::string&) override {}
  void lookup(const std::string& aor, std::function<void(lookup_result)> done) override {
    asked.push_back(aor);
    if (hold) {
      held = std::move(done);
      return;
    }
    auto it = answers.find(aor);
    done(it == answers.end() ? lookup_result{} : it->second);
  }
};

const sip_clock::time_point t0{std::chrono::hours(1)};

route_decision route(const request_router& r, const std::string& aor, const std::string& gr = {}) {
  route_decision out;
  bool called = false;
  r.route(aor, gr, t0, [&](route_decision d) {
    out = std::move(d);
    called = true;
  });
  REQUIRE(called);
  return out;
}

void register_contact(binding_table& t, const std::string& aor, const std::string& uri,
                      std::string instance = {}) {
  register_request r;
  r.aor = aor;
  r.call_id = "c-" + uri;
  r.cseq = 1;
  contact_update c;
  c.uri = uri;
  c.instance = std::move(instance);
  if (!c.instance.empty()) c.reg_id = 1;
  r.contacts.push_back(c);
  r.expires_header = 3600s;
  REQUIRE(t.apply(r, t0).status == 200);
}

}  // namespace

TEST_CASE("local bindings are used first and fork to every contact; the overlay is not asked") {
  binding_table table;
  fake_directory dir;
  register_contact(table, "sip:alice@office.example", "sip:alice@127.0.0.1:5070");
  register_contact(table, "sip:alice@office.example", "sip:alice@127.0.0.1:5072");
  request_router router(table, dir, node(1));
  auto d = route(router, "sip:alice@office.example");
  CHECK(d.status == 0);
  REQUIRE(d.targets.size() == 2);
  for (const auto& t : d.targets) CHECK(t.where == route_target::kind::local_contact);
  CHECK(dir.asked.empty());
}

TEST_CASE("an AOR registered elsewhere is routed to the nodes the directory names") {
  binding_table table;
  fake_directory dir;
  dir.answers["sip:bob@office.example"] = {lookup_status::found, {node(2), node(3), node(2)}, {}};
  request_router router(table, dir, node(1));
  auto d = route(router, "sip:bob@office.example");
  CHECK(d.status == 0);
  REQUIRE(d.targets.size() == 2);  // duplicates removed
  CHECK(d.targets[0].where == route_target::kind::remote_node);
  CHECK(d.targets[0].node == node(2));
  CHECK(d.targets[1].node == node(3));
  REQUIRE(dir.asked.size() == 1);
  CHECK(dir.asked[0] == "sip:bob@office.example");
}

TEST_CASE("directory failures map onto 404, 480, 408 and 503 with a Reason") {
  binding_table table;
  fake_directory dir;
  dir.answers["sip:gone@x"] = {lookup_status::unreachable, {}, {}};
  dir.answers["sip:slow@x"] = {lookup_status::timeout, {}, "Fetch timed out"};
  dir.answers["sip:down@x"] = {lookup_status::overlay_down, {}, {}};
  request_router router(table, dir, node(1));
  CHECK(route(router, "sip:nobody@x").status == 404);
  auto gone = route(router, "sip:gone@x");
  CHECK(gone.status == 480);
  CHECK_FALSE(gone.reason.empty());
  auto slow = route(router, "sip:slow@x");
  CHECK(slow.status == 408);
  CHECK(slow.reason == "Fetch timed out");
  auto down = route(router, "sip:down@x");
  CHECK(down.status == 503);
  CHECK_FALSE(down.reason.empty());
}

TEST_CASE("a stale value that names only ourselves gives 480, not a loop") {
  binding_table table;
  fake_directory dir;
  dir.answers["sip:alice@x"] = {lookup_status::found, {node(1)}, {}};
  request_router router(table, dir, node(1));
  CHECK(route(router, "sip:alice@x").status == 480);
}

TEST_CASE("a malformed Request-URI is 400 without asking the overlay") {
  binding_table table;
  fake_directory dir;
  request_router router(table, dir, node(1));
  CHECK(route(router, "").status == 400);
  CHECK(dir.asked.empty());
}

TEST_CASE("a GRUU routes to its instance locally, else the directory decodes it") {
  binding_table table({}, [](const std::string&, const std::string& inst) { return "G" + inst; });
  fake_directory dir;
  register_contact(table, "sip:alice@x", "sip:alice@127.0.0.1:5070", "one");
  register_contact(table, "sip:alice@x", "sip:alice@127.0.0.1:5072", "two");
  request_router router(table, dir, node(1));
  auto d = route(router, "sip:alice@x", "Gtwo");
  REQUIRE(d.targets.size() == 1);
  CHECK(d.targets[0].uri == "sip:alice@127.0.0.1:5072");

  dir.answers["sip:carol@x;gr=REMOTE"] = {lookup_status::found, {node(7)}, {}};
  auto r = route(router, "sip:carol@x", "REMOTE");
  REQUIRE(r.targets.size() == 1);
  CHECK(r.targets[0].node == node(7));
}

TEST_CASE("the decision waits for an asynchronous directory answer") {
  binding_table table;
  fake_directory dir;
  dir.hold = true;
  request_router router(table, dir, node(1));
  std::optional<route_decision> got;
  router.route("sip:bob@x", {}, t0, [&](route_decision d) { got = std::move(d); });
  CHECK_FALSE(got);
  REQUIRE(dir.held);
  dir.held({lookup_status::found, {node(4)}, {}});
  REQUIRE(got);
  CHECK(got->targets.size() == 1);
}

TEST_CASE("best response: 6xx wins, then 2xx, then the lowest class") {
  CHECK(best_response({}) == -1);
  CHECK(best_response({486, 404}) == 0);
  CHECK(best_response({500, 404}) == 1);
  CHECK(best_response({404, 603, 200}) == 1);
  CHECK(best_response({486, 200}) == 1);
  CHECK(best_response({302, 404}) == 0);
}
