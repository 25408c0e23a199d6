// The SIP-INBOX value: what a sender's daemon stores and the recipient's
// decodes (strictly: it is anyone's bytes).
#include <catch2/catch.hpp>

#include "usage/inbox_message.hpp"
#include "wire/codec.hpp"

using namespace p2psip;
using usage::inbox_message;

TEST_CASE("an inbox message encodes as documented and decodes back") {
  const inbox_message m{0x0102030405060708, "sip:a@x", "sip:b@x", "text/plain", "id1", "hi"};
  const auto bytes = wire::to_bytes(m);
  REQUIRE(bytes);
  const std::vector<std::uint8_t> expected{
      1,                                             // version
      1,   2,   3,   4,   5,   6,   7,   8,          // sent_ms
      0,   7,   's', 'i', 'p', ':', 'a', '@', 'x',   // from
      0,   7,   's', 'i', 'p', ':', 'b', '@', 'x',   // to
      10,  't', 'e', 'x', 't', '/', 'p', 'l', 'a', 'i', 'n',
      3,   'i', 'd', '1',                            // message_id
      0,   0,   2,   'h', 'i'};                      // body
  CHECK(*bytes == expected);
  const auto back = wire::from_bytes<inbox_message>(*bytes);
  REQUIRE(back);
  CHECK(*back == m);
}

TEST_CASE("a damaged inbox message is refused, naming the field") {
  const inbox_message m{1, "sip:a@x", "sip:b@x", "text/plain", "id1", "hello"};
  auto bytes = *wire::to_bytes(m);

  auto wrong_version = bytes;
  wrong_version[0] = 2;
  const auto versioned = wire::from_bytes<inbox_message>(wrong_version);
  REQUIRE_FALSE(versioned);
  CHECK(std::string(versioned.error().field) == "version");

  auto truncated = bytes;
  truncated.pop_back();
  const auto cut = wire::from_bytes<inbox_message>(truncated);
  REQUIRE_FALSE(cut);
  CHECK(std::string(cut.error().field) == "body");

  auto trailing = bytes;
  trailing.push_back(0);
  CHECK_FALSE(wire::from_bytes<inbox_message>(trailing));
  CHECK_FALSE(wire::from_bytes<inbox_message>(std::vector<std::uint8_t>{}));
}
