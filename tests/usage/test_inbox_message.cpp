// The SIP-INBOX value: what a sender's daemon stores and the recipient's
// decodes (strictly: it is anyone's bytes).
#include <catch2/catch.hpp>

#include <algorithm>

#include "identity/self_signed.hpp"
#include "usage/inbox_message.hpp"
#include "wire/codec.hpp"

using namespace p2psip;
using usage::inbox_message;

TEST_CASE("an inbox message encodes as documented and decodes back") {
  const inbox_message m{0x0102030405060708, "sip:a@x", "sip:b@x", "text/plain", "id1", "hi", {}};
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
  const inbox_message m{1, "sip:a@x", "sip:b@x", "text/plain", "id1", "hello", {}};
  auto bytes = *wire::to_bytes(m);

  auto wrong_version = bytes;
  wrong_version[0] = 3;
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

namespace {

struct recipient {
  identity::key_pair key;
  identity::node_certificate certificate;
};

recipient make_recipient(const std::string& user) {
  auto key = identity::key_pair::generate();
  REQUIRE(key);
  auto certificate = identity::make_self_signed_certificate(
      *key, {.overlay = "inbox.test", .user_name = user}, std::chrono::system_clock::now());
  REQUIRE(certificate);
  return {std::move(*key), std::move(*certificate)};
}

bool contains(const std::vector<std::uint8_t>& haystack, const std::string& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

}  // namespace

TEST_CASE("a sealed inbox message holds only metadata in clear, and opens for its recipient") {
  const auto bob = make_recipient("bob@x");
  const inbox_message clear{42,    "sip:alice@x",     "sip:bob@x", "text/plain",
                            "id7", "the secret body", {}};
  std::string why;
  const auto sealed = usage::seal(clear, bob.certificate, why);
  REQUIRE(sealed);
  const auto bytes = wire::to_bytes(*sealed);
  REQUIRE(bytes);
  CHECK((*bytes)[0] == usage::sealed_inbox_message_version);
  CHECK(contains(*bytes, "sip:bob@x"));  // metadata
  CHECK_FALSE(contains(*bytes, "the secret body"));
  CHECK_FALSE(contains(*bytes, "sip:alice@x"));
  CHECK_FALSE(contains(*bytes, "id7"));

  const auto back = wire::from_bytes<inbox_message>(*bytes);
  REQUIRE(back);
  CHECK(*back == *sealed);
  const auto opened = usage::open(*back, bob.key, bob.certificate, why);
  REQUIRE(opened);
  CHECK(*opened == clear);

  const auto eve = make_recipient("eve@x");
  CHECK_FALSE(usage::open(*back, eve.key, eve.certificate, why));
  CHECK_FALSE(why.empty());

  SECTION("metadata changed outside the seal is refused") {
    auto moved = *back;
    moved.to = "sip:eve@x";
    CHECK_FALSE(usage::open(moved, bob.key, bob.certificate, why));
    auto redated = *back;
    redated.sent_ms = 43;
    CHECK_FALSE(usage::open(redated, bob.key, bob.certificate, why));
  }
  SECTION("a damaged sealed message is refused by the decoder or the seal") {
    auto cut = *bytes;
    cut.pop_back();
    const auto refused = wire::from_bytes<inbox_message>(cut);
    REQUIRE_FALSE(refused);
    CHECK(std::string(refused.error().field) == "sealed");
    auto flipped = *back;
    flipped.sealed.back() ^= 1;
    CHECK_FALSE(usage::open(flipped, bob.key, bob.certificate, why));
  }
}
