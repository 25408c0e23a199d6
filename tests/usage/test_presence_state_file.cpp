// The presence agent's state file: publications and subscriptions written
// read back with the time left, what ran out is left out, and a damaged file
// is refused whole (the daemon then ignores it: phones publish again and
// watchers subscribe again).
#include <catch2/catch.hpp>

#include "usage/presence_state_file.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

sip::saved_subscription subscription(std::string aor, std::chrono::seconds left) {
  return {
      std::move(aor),
      {"call-1@host", "<sip:carol@p2psip.test>;tag=ours", "<sip:watcher@p2psip.test>;tag=theirs",
       "<sip:127.0.0.1:5070;lr;p2p=ab>, <sip:b;lr>", "<sip:w@127.0.0.1:9>"},
      2147483647u,
      true,
      left};
}

}  // namespace

TEST_CASE("presence state file: written and read back with the time left") {
  const auto now = std::chrono::system_clock::now();
  sip::saved_presence all;
  all.publications = {{"sip:bob@p2psip.test", "etag1", "<presence/>", 600s},
                      {"sip:alice@p2psip.test", "etag2", "<presence>\"é\"</presence>", 30s}};
  all.subscriptions = {subscription("sip:carol@p2psip.test", 900s),
                       subscription("sip:dave@p2psip.test", 20s)};
  all.subscriptions[1].followed = false;
  all.subscriptions[1].cseq = 7;
  const auto text = usage::presence_state_text(all, now);
  const auto later = usage::parse_presence_state(text, now + 10s);
  REQUIRE(later);
  REQUIRE(later->publications.size() == 2);
  CHECK(later->publications[0].aor == "sip:bob@p2psip.test");
  CHECK(later->publications[0].etag == "etag1");
  CHECK(later->publications[0].remaining >= 589s);
  CHECK(later->publications[0].remaining <= 590s);
  CHECK(later->publications[1].document == "<presence>\"é\"</presence>");
  REQUIRE(later->subscriptions.size() == 2);
  const auto& carol = later->subscriptions[0];
  const auto expected = subscription("sip:carol@p2psip.test", 0s);
  CHECK(carol.aor == expected.aor);
  CHECK(carol.dialog.call_id == expected.dialog.call_id);
  CHECK(carol.dialog.local == expected.dialog.local);
  CHECK(carol.dialog.remote == expected.dialog.remote);
  CHECK(carol.dialog.route == expected.dialog.route);
  CHECK(carol.dialog.target == expected.dialog.target);
  CHECK(carol.cseq == 2147483647u);
  CHECK(carol.followed);
  CHECK(carol.remaining >= 889s);
  CHECK(carol.remaining <= 890s);
  CHECK(later->subscriptions[1].cseq == 7);
  CHECK_FALSE(later->subscriptions[1].followed);
  // read after alice's publication and dave's subscription ran out: the rest
  const auto much_later = usage::parse_presence_state(text, now + 31s);
  REQUIRE(much_later);
  REQUIRE(much_later->publications.size() == 1);
  CHECK(much_later->publications[0].aor == "sip:bob@p2psip.test");
  REQUIRE(much_later->subscriptions.size() == 1);
  CHECK(much_later->subscriptions[0].aor == "sip:carol@p2psip.test");
}

TEST_CASE("presence state file: a damaged one is refused") {
  const auto now = std::chrono::system_clock::now();
  CHECK_FALSE(usage::parse_presence_state("", now));
  CHECK_FALSE(
      usage::parse_presence_state("{\"format\": \"p2psipd-app-leases\", \"leases\": []}", now));
  // the earlier publications-only format
  CHECK_FALSE(usage::parse_presence_state(
      "{\"format\": \"p2psipd-publications\", \"version\": 1, \"publications\": []}", now));
  CHECK_FALSE(usage::parse_presence_state(
      "{\"format\": \"p2psipd-presence\", \"publications\": [{\"aor\": 1}], "
      "\"subscriptions\": []}",
      now));
  sip::saved_presence one;
  one.publications = {{"sip:a@b", "e", "<presence/>", 60s}};
  one.subscriptions = {subscription("sip:a@b", 60s)};
  const auto text = usage::presence_state_text(one, now);
  CHECK_FALSE(usage::parse_presence_state(text.substr(0, text.size() - 2), now));
  // a subscription without its route, or with a CSeq past 2^31 - 1
  auto no_route = text;
  no_route.replace(no_route.find("\"route\""), 7, "\"xroute\"");
  CHECK_FALSE(usage::parse_presence_state(no_route, now));
  auto big = text;
  big.replace(big.find("2147483647"), 10, "2147483648");
  CHECK_FALSE(usage::parse_presence_state(big, now));
  const auto empty = usage::parse_presence_state(usage::presence_state_text({}, now), now);
  REQUIRE(empty);
  CHECK(empty->publications.empty());
  CHECK(empty->subscriptions.empty());
}
