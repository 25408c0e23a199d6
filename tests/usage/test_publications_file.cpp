// The presence agent's publications file: what is written reads back with
// the time left, what ran out is left out, and a damaged file is refused
// whole (the daemon then ignores it and phones publish again).
#include <catch2/catch.hpp>

#include "usage/publications_file.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

TEST_CASE("publications file: written and read back with the time left") {
  const auto now = std::chrono::system_clock::now();
  const std::vector<sip::saved_publication> all{
      {"sip:bob@p2psip.test", "etag1", "<presence/>", 600s},
      {"sip:alice@p2psip.test", "etag2", "<presence>\"é\"</presence>", 30s}};
  const auto text = usage::publications_text(all, now);
  const auto later = usage::parse_publications(text, now + 10s);
  REQUIRE(later);
  REQUIRE(later->size() == 2);
  CHECK((*later)[0].aor == "sip:bob@p2psip.test");
  CHECK((*later)[0].etag == "etag1");
  CHECK((*later)[0].remaining >= 589s);
  CHECK((*later)[0].remaining <= 590s);
  CHECK((*later)[1].document == "<presence>\"é\"</presence>");
  // read after alice's has run out: only bob's
  const auto much_later = usage::parse_publications(text, now + 31s);
  REQUIRE(much_later);
  REQUIRE(much_later->size() == 1);
  CHECK((*much_later)[0].aor == "sip:bob@p2psip.test");
}

TEST_CASE("publications file: a damaged one is refused") {
  const auto now = std::chrono::system_clock::now();
  CHECK_FALSE(usage::parse_publications("", now));
  CHECK_FALSE(
      usage::parse_publications("{\"format\": \"p2psipd-app-leases\", \"leases\": []}", now));
  CHECK_FALSE(usage::parse_publications(
      "{\"format\": \"p2psipd-publications\", \"publications\": [{\"aor\": 1}]}", now));
  const auto text = usage::publications_text({{"sip:a@b", "e", "<presence/>", 60s}}, now);
  CHECK_FALSE(usage::parse_publications(text.substr(0, text.size() - 2), now));
  const auto empty = usage::parse_publications(usage::publications_text({}, now), now);
  REQUIRE(empty);
  CHECK(empty->empty());
}
