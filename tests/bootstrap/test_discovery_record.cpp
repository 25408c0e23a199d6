// discovery_record: the LAN discovery datagram round-trips, has the
// documented layout, and anything else is refused rather than misread.
#include <catch2/catch.hpp>

#include "bootstrap/discovery_record.hpp"
#include "wire/id_hash.hpp"

using namespace p2psip::bootstrap;
namespace ip = boost::asio::ip;

namespace {

discovery_record sample() {
  discovery_record r;
  r.type = discovery_message::query;
  r.overlay = p2psip::wire::hash_overlay_name("office.example");
  r.node = *p2psip::wire::node_id::from_hex("00112233445566778899aabbccddeeff");
  r.address = ip::make_address("192.0.2.7");
  r.port = 6084;
  return r;
}

}  // namespace

TEST_CASE("the documented layout, byte for byte") {
  discovery_record r = sample();
  r.overlay = p2psip::wire::overlay_hash{0x01020304};
  // clang-format off
  const std::vector<std::uint8_t> expected = {
      'P', '2', 'S', 'D', 1, 2, 1, 2, 3, 4,                                  // magic, version, type, overlay
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // node id
      0xcc, 0xdd, 0xee, 0xff, 4, 192, 0, 2, 7, 0x17, 0xc4};                  // family, address, port
  // clang-format on
  CHECK(encode_discovery_record(r) == expected);
}

TEST_CASE("records round-trip for every address form") {
  for (const auto& address :
       {std::optional<ip::address>{}, std::optional(ip::make_address("192.0.2.7")),
        std::optional(ip::make_address("2001:db8::7"))}) {
    discovery_record r = sample();
    r.address = address;
    const auto bytes = encode_discovery_record(r);
    CHECK(bytes.size() == 29 + (address ? (address->is_v4() ? 4 : 16) : 0));
    const auto decoded = decode_discovery_record(bytes);
    REQUIRE(decoded);
    CHECK(decoded->type == r.type);
    CHECK(decoded->overlay == r.overlay);
    CHECK(decoded->node == r.node);
    CHECK(decoded->address == r.address);
    CHECK(decoded->port == r.port);
  }
  // An unspecified address is sent as "use the source address".
  discovery_record any = sample();
  any.address = ip::make_address("0.0.0.0");
  CHECK_FALSE(decode_discovery_record(encode_discovery_record(any))->address);
}

TEST_CASE("junk, truncation and unknown versions are refused") {
  const auto good = encode_discovery_record(sample());
  CHECK_FALSE(decode_discovery_record({}));
  const std::string text = "hello, is anybody there?";
  CHECK_FALSE(decode_discovery_record(
      std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
  for (std::size_t n = 0; n < good.size(); ++n) {
    CHECK_FALSE(decode_discovery_record(std::span(good.data(), n)));  // every truncation
  }
  auto longer = good;
  longer.push_back(0);
  CHECK_FALSE(decode_discovery_record(longer));

  const auto mutated = [&](std::size_t at, std::uint8_t value) {
    auto bytes = good;
    bytes[at] = value;
    return decode_discovery_record(bytes);
  };
  CHECK_FALSE(mutated(0, 'X'));  // magic
  CHECK_FALSE(mutated(4, 2));    // version 2: a later format, not ours to read
  CHECK_FALSE(mutated(5, 0));    // type
  CHECK_FALSE(mutated(5, 4));
  CHECK_FALSE(mutated(26, 5));    // family
  CHECK_FALSE(mutated(27, 224));  // a multicast address is nobody's listener
  auto no_port = good;
  no_port[no_port.size() - 1] = 0;
  no_port[no_port.size() - 2] = 0;
  CHECK_FALSE(decode_discovery_record(no_port));
}
