#include <catch2/catch.hpp>

#include "identity/reload_uri.hpp"

using namespace p2psip::identity;
using p2psip::wire::node_id;

namespace {
node_id counting_node() {
  node_id::bytes_type b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i);
  return node_id(b);
}
}  // namespace

TEST_CASE("a Node URI is reload:// hex(Destination List of one node) @ overlay /") {
  // Destination: type node(1), length 16, then the Node-ID (§6.3.2.2, §14.15).
  CHECK(format_node_uri(counting_node(), "example.org") ==
        "reload://0110000102030405060708090a0b0c0d0e0f@example.org/");
}

TEST_CASE("Node URIs parse back, hex in either case") {
  const auto parsed = parse_node_uri(format_node_uri(counting_node(), "example.org"));
  REQUIRE(parsed);
  CHECK(parsed->node == counting_node());
  CHECK(parsed->overlay == "example.org");
  const auto upper = parse_node_uri("RELOAD://0110000102030405060708090A0B0C0D0E0F@example.org/");
  REQUIRE(upper);
  CHECK(upper->node == counting_node());
}

TEST_CASE("anything but a one-node Destination List is not a Node URI") {
  for (const char* bad : {
           "reload://0110000102030405060708090a0b0c0d0e0f@example.org",       // no slash
           "reload://0110000102030405060708090a0b0c0d0e0f@example.org/0102",  // specifier
           "reload://0110000102030405060708090a0b0c0d0e0f@/",                 // no overlay
           "reload://0110000102030405060708090a0b0c0d0e0f@ex ample/",         // bad reg-name
           "reload://0210000102030405060708090a0b0c0d0e0f@example.org/",      // resource
           "reload://010f000102030405060708090a0b0c0d0e@example.org/",        // 15 bytes
           "reload://0110000102030405060708090a0b0c0d0e0f"
           "0110000102030405060708090a0b0c0d0e0f@example.org/",               // two entries
           "reload://011@example.org/",                                        // odd hex
           "reload://zz@example.org/",
           "http://0110000102030405060708090a0b0c0d0e0f@example.org/",
       }) {
    INFO(bad);
    CHECK_FALSE(parse_node_uri(bad));
  }
}

TEST_CASE("any reload: URI is recognised as one, well-formed or not") {
  CHECK(has_reload_scheme("reload://00@x/"));
  CHECK(has_reload_scheme("Reload:anything"));
  CHECK_FALSE(has_reload_scheme("reloa"));
  CHECK_FALSE(has_reload_scheme("sip:alice@example.org"));
}
