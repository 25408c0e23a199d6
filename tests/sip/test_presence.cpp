// PIDF parsing (RFC 3863, RPID activities) and the publication state of the
// presence agent (RFC 3903 §6: entity-tags, expiry, refresh, modify, remove),
// kept across a restart; the AORs followed elsewhere (presence_poll_list).
#include <catch2/catch.hpp>

#include "sip/pidf.hpp"
#include "sip/presence_poll_list.hpp"
#include "sip/publication_store.hpp"

using namespace p2psip::sip;
using namespace std::chrono_literals;

namespace {

// What baresip's presence module publishes (modules/presence/publisher.c).
std::string baresip_pidf(const std::string& basic, const std::string& activity) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
         "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
         "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
         "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"sip:alice@p2psip.test\">\r\n"
         "<dm:person id=\"p4159\"><rpid:activities><rpid:" +
         activity +
         "/></rpid:activities></dm:person>\r\n"
         "<tuple id=\"t4109\"><status><basic>" +
         basic + "</basic></status><contact>sip:alice@p2psip.test</contact></tuple>\r\n</presence>";
}

std::string simple_pidf(const std::string& basic, const std::string& note) {
  return "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='pres:bob@p2psip.test'>"
         "<tuple id='a'><status><basic>" +
         basic + "</basic></status><note>" + note + "</note></tuple></presence>";
}

struct counter {
  int n = 0;
  std::string operator()() { return "etag" + std::to_string(++n); }
};

}  // namespace

TEST_CASE("PIDF: basic status, note and RPID activity") {
  auto away = parse_pidf(baresip_pidf("open", "away"));
  REQUIRE(away.status);
  CHECK(away.status->open);
  CHECK(away.status->activity == "away");
  auto closed = parse_pidf(simple_pidf("closed", " in a meeting "));
  REQUIRE(closed.status);
  CHECK_FALSE(closed.status->open);
  CHECK(closed.status->note == "in a meeting");
  // open when any tuple is open; its note wins
  auto two = parse_pidf(
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='pres:a@b'>"
      "<tuple id='1'><status><basic>closed</basic></status><note>off</note></tuple>"
      "<tuple id='2'><status><basic>open</basic></status><note>desk</note></tuple></presence>");
  REQUIRE(two.status);
  CHECK(two.status->open);
  CHECK(two.status->note == "desk");
  // what the agent writes reads back the same
  auto round = parse_pidf(make_pidf("sip:c@d", {true, "a <b> & \"c\"", {}}));
  REQUIRE(round.status);
  CHECK(round.status->open);
  CHECK(round.status->note == "a <b> & \"c\"");
  auto written = parse_pidf(make_pidf("sip:c@d", {true, {}, "away"}));
  REQUIRE(written.status);
  CHECK(written.status->open);
  CHECK(written.status->activity == "away");
}

TEST_CASE("PIDF: malformed documents are refused with the reason") {
  CHECK(parse_pidf("").error == "empty document");
  CHECK(parse_pidf("<presence").error == "not well-formed XML");
  CHECK(parse_pidf("<presence entity='x'/>").error == "the root is not a PIDF <presence>");
  CHECK(parse_pidf("<presence xmlns='urn:ietf:params:xml:ns:pidf'/>").error ==
        "<presence> has no entity");
  CHECK(parse_pidf("<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='a'><tuple>"
                   "<status/></tuple></presence>")
            .error == "a <tuple> has no id");
  CHECK(parse_pidf(simple_pidf("maybe", "x")).error == "<basic> is neither open nor closed");
  CHECK(parse_pidf(std::string(pidf_max_size + 1, ' ')).error == "document larger than 16 KiB");
  // an external entity is neither fetched nor expanded
  auto xxe = parse_pidf(
      "<?xml version='1.0'?><!DOCTYPE p [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='a'><note>&x;</note></presence>");
  REQUIRE(xxe.status);
  CHECK(xxe.status->note.find("root") == std::string::npos);
}

TEST_CASE("publications: initial, refresh, modify and remove by entity-tag") {
  publication_store store{counter{}};
  const auto t0 = sip_clock::now();
  const std::string aor = "sip:alice@p2psip.test";

  auto first = store.publish({aor, {}, 120s, baresip_pidf("open", "away")}, t0);
  CHECK(first.status == 200);
  CHECK(first.etag == "etag1");
  CHECK(first.expires == 120s);
  CHECK(first.changed);
  REQUIRE(store.current(aor, t0));
  CHECK(store.current(aor, t0)->status.activity == "away");

  // a refresh (no body) gets a new entity-tag and changes nothing watchers see
  auto refresh = store.publish({aor, "etag1", 120s, std::nullopt}, t0 + 100s);
  CHECK(refresh.status == 200);
  CHECK(refresh.etag == "etag2");
  CHECK_FALSE(refresh.changed);
  // the old tag is gone
  CHECK(store.publish({aor, "etag1", 120s, std::nullopt}, t0 + 101s).status == 412);

  auto modify =
      store.publish({aor, "etag2", std::nullopt, simple_pidf("closed", "gone")}, t0 + 102s);
  CHECK(modify.status == 200);
  CHECK(modify.expires == 3600s);  // the presence default
  CHECK(modify.changed);
  CHECK_FALSE(store.current(aor, t0 + 102s)->status.open);

  auto removed = store.publish({aor, modify.etag, 0s, std::nullopt}, t0 + 103s);
  CHECK(removed.status == 200);
  CHECK(removed.expires == 0s);
  CHECK(removed.changed);
  CHECK(store.current(aor, t0 + 103s) == nullptr);
  CHECK(store.size() == 0);
}

TEST_CASE("publications: bad requests change nothing stored") {
  publication_store store{counter{}};
  const auto t0 = sip_clock::now();
  const std::string aor = "sip:alice@p2psip.test";
  auto first = store.publish({aor, {}, 600s, simple_pidf("open", "desk")}, t0);
  REQUIRE(first.status == 200);

  CHECK(store.publish({aor, "nope", 600s, simple_pidf("closed", "x")}, t0).status == 412);
  CHECK(store.publish({aor, {}, 600s, std::nullopt}, t0).status == 400);  // initial, no body
  auto brief = store.publish({aor, first.etag, 10s, std::nullopt}, t0);
  CHECK(brief.status == 423);
  CHECK(brief.min_expires == 60s);
  auto bad = store.publish({aor, first.etag, 600s, std::string("<presence")}, t0);
  CHECK(bad.status == 400);
  CHECK(bad.phrase == "Bad PIDF document: not well-formed XML");
  CHECK(store.publish({"sip:bob@p2psip.test", {}, 600s, std::string("junk")}, t0).status == 400);

  REQUIRE(store.current(aor, t0));
  CHECK(store.current(aor, t0)->etag == first.etag);
  CHECK(store.current(aor, t0)->status.note == "desk");
  CHECK(store.size() == 1);
  // the tag still works after the refusals
  CHECK(store.publish({aor, first.etag, 600s, std::nullopt}, t0 + 1s).status == 200);
}

TEST_CASE("publications: expiry, the newest wins, and limits") {
  publication_store store{counter{}, {.max_per_aor = 2}};
  const auto t0 = sip_clock::now();
  const std::string aor = "sip:alice@p2psip.test";
  CHECK(store.publish({aor, {}, 7200s, simple_pidf("open", "phone")}, t0).expires == 3600s);
  auto second = store.publish({aor, {}, 60s, simple_pidf("closed", "laptop")}, t0 + 1s);
  CHECK(second.changed);
  CHECK(store.current(aor, t0 + 2s)->status.note == "laptop");
  CHECK(store.publish({aor, {}, 60s, simple_pidf("open", "third")}, t0 + 2s).status == 403);

  CHECK(store.expire(t0 + 30s).empty());
  // the laptop's expires: the phone's is what watchers see again
  CHECK(store.expire(t0 + 61s) == std::vector<std::string>{aor});
  CHECK(store.current(aor, t0 + 61s)->status.note == "phone");
  CHECK(store.expire(t0 + 3601s) == std::vector<std::string>{aor});
  CHECK(store.current(aor, t0 + 3601s) == nullptr);
  CHECK(store.size() == 0);
}

TEST_CASE("publications: saved and restored with their entity-tags and time left") {
  publication_store before{counter{}};
  const auto t0 = sip_clock::now();
  const std::string alice = "sip:alice@p2psip.test";
  const std::string bob = "sip:bob@p2psip.test";
  REQUIRE(before.publish({bob, {}, 600s, simple_pidf("open", "desk")}, t0).status == 200);
  REQUIRE(before.publish({alice, {}, 120s, baresip_pidf("open", "away")}, t0).status == 200);
  REQUIRE(before.publish({alice, {}, 60s, simple_pidf("closed", "gone")}, t0).status == 200);
  const auto saved = before.saved(t0 + 70s);  // alice's second has run out
  REQUIRE(saved.size() == 2);
  CHECK(saved[0].aor == bob);  // oldest modification first
  CHECK(saved[0].etag == "etag1");
  CHECK(saved[0].remaining == 530s);
  CHECK(saved[1].aor == alice);
  CHECK(saved[1].remaining == 50s);

  publication_store after{counter{}};
  const auto t1 = sip_clock::now();
  auto damaged = saved;
  damaged.push_back({"sip:carol@p2psip.test", "etag9", "<presence><tuple", 600s});
  damaged.push_back({"sip:dave@p2psip.test", "etag8", simple_pidf("open", "x"), 0s});
  CHECK(after.restore(damaged, t1) == 2);  // bad PIDF and no time left: left out
  CHECK(after.size() == 2);
  REQUIRE(after.current(alice, t1));
  CHECK(after.current(alice, t1)->status.activity == "away");
  CHECK_FALSE(after.current(alice, t1 + 51s));
  // the phone refreshes with the entity-tag it had before the restart
  auto refresh = after.publish({bob, "etag1", 600s, std::nullopt}, t1 + 1s);
  CHECK(refresh.status == 200);
  CHECK_FALSE(refresh.changed);
}

TEST_CASE("followed AORs: counted once, polled at the interval, changes only") {
  presence_poll_list polls;
  const auto t0 = sip_clock::now();
  const std::string carol = "sip:carol@p2psip.test";
  REQUIRE(polls.follow(carol, t0));
  REQUIRE(polls.follow(carol, t0));  // a second follower
  CHECK(polls.size() == 1);
  CHECK(polls.due(t0) == std::vector<std::string>{carol});
  CHECK(polls.due(t0).empty());  // not again while its fetch is under way
  presence_view open;
  open.aor = carol;
  open.open = true;
  open.source = presence_source::remote;
  CHECK(polls.observed(carol, open, t0 + 1s));  // closed → open
  CHECK(polls.last(carol)->open);
  CHECK(polls.due(t0 + 10s).empty());
  CHECK(polls.due(t0 + 1s + presence_poll_interval).size() == 1);
  CHECK_FALSE(polls.observed(carol, std::nullopt, t0 + 12s));  // a failed fetch concludes nothing
  CHECK(polls.last(carol)->open);
  CHECK(polls.due(t0 + 12s + presence_poll_interval).size() == 1);
  open.source = presence_source::registration;  // where it came from is no change
  CHECK_FALSE(polls.observed(carol, open, t0 + 23s));
  polls.unfollow(carol);
  CHECK(polls.size() == 1);
  polls.unfollow(carol);
  CHECK(polls.size() == 0);
  CHECK_FALSE(polls.last(carol));
  CHECK_FALSE(polls.observed(carol, open, t0 + 24s));  // unfollowed meanwhile
}

TEST_CASE("followed AORs: bounded, and a new one starts from what is known") {
  presence_poll_list polls;
  const auto t0 = sip_clock::now();
  for (std::size_t i = 0; i < max_followed_aors; ++i)
    REQUIRE(polls.follow("sip:u" + std::to_string(i) + "@p2psip.test", t0));
  CHECK_FALSE(polls.follow("sip:one-more@p2psip.test", t0));
  CHECK(polls.size() == max_followed_aors);
  CHECK(polls.follow("sip:u0@p2psip.test", t0));  // one already followed still may be
  polls.unfollow("sip:u1@p2psip.test");
  presence_view away;
  away.open = true;
  away.activity = "away";
  REQUIRE(polls.follow("sip:one-more@p2psip.test", t0, away));
  CHECK(polls.last("sip:one-more@p2psip.test")->activity == "away");
  CHECK(polls.last("sip:one-more@p2psip.test")->aor == "sip:one-more@p2psip.test");
  CHECK_FALSE(polls.observed("sip:one-more@p2psip.test", away, t0));  // no change from known
}
