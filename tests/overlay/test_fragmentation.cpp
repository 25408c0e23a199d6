#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

#include "overlay/fragmentation.hpp"
#include "overlay_test_util.hpp"
#include "wire/message.hpp"

using namespace p2psip;
using namespace p2psip::overlay;

namespace {

// 38 fixed bytes and two 18-byte Node-ID destinations.
constexpr std::size_t header_size = 74;

wire::forwarding_header routed_header() {
  wire::forwarding_header h;
  h.overlay = wire::overlay_hash{0x1234};
  h.ttl = 90;
  h.transaction_id = wire::transaction_id{42};
  h.via_list = {wire::destination::node(test::id(1))};
  h.destination_list = {wire::destination::node(test::id(2))};
  return h;
}

std::vector<std::uint8_t> counting_payload(std::size_t size) {
  std::vector<std::uint8_t> payload(size);
  std::iota(payload.begin(), payload.end(), std::uint8_t{7});
  return payload;
}

struct parsed_fragment {
  wire::forwarding_header header;
  std::vector<std::uint8_t> chunk;
};

parsed_fragment parse(const std::vector<std::uint8_t>& bytes) {
  const auto decoded = wire::decode_forwarding_part(bytes, 1u << 20);
  REQUIRE(decoded);
  return {decoded->header, {decoded->payload.begin(), decoded->payload.end()}};
}

}  // namespace

TEST_CASE("the sample header has the size the sums below assume") {
  const auto bytes = wire::to_bytes(routed_header());
  REQUIRE(bytes);
  CHECK(bytes->size() == header_size);
}

TEST_CASE("a message that fits the link goes whole") {
  const auto header = routed_header();
  const auto payload = counting_payload(1200 - header_size);
  const auto out = fragment_message(header, payload, 1200);
  REQUIRE(out);
  REQUIRE(out->size() == 1);
  CHECK(out->front() == *wire::encode_forwarded(header, payload));
  CHECK(parse(out->front()).header.fragment == wire::unfragmented);
}

TEST_CASE("a 3000-byte message at a 1200-byte link splits into equal fragments") {
  const auto header = routed_header();
  const auto payload = counting_payload(3000 - header_size);  // 2926 bytes
  const auto out = fragment_message(header, payload, 1200);
  REQUIRE(out);
  // At most 1168 - 74 = 1094 body bytes each: three fragments of 976, 975, 975.
  REQUIRE(out->size() == 3);
  const std::vector<std::size_t> sizes{976, 975, 975};
  const std::vector<std::uint32_t> offsets{0, 976, 1951};
  std::vector<std::uint8_t> joined;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& bytes = (*out)[i];
    CHECK(bytes.size() == header_size + sizes[i]);
    CHECK(bytes.size() <= 1200 - fragment_headroom);
    const auto f = parse(bytes);
    CHECK(f.header.length == bytes.size());
    CHECK(wire::fragment_offset(f.header.fragment) == offsets[i]);
    CHECK(wire::is_last_fragment(f.header.fragment) == (i == 2));
    CHECK((f.header.fragment & wire::fragment_high_bit) != 0);
    auto same = f.header;
    same.fragment = header.fragment;
    same.length = header.length;
    CHECK(same == header);  // a full copy of the Via, Destination and options
    joined.insert(joined.end(), f.chunk.begin(), f.chunk.end());
  }
  CHECK(joined == payload);
}

TEST_CASE("every fragment carries at least 256 bytes of body") {
  const auto header = routed_header();
  // Exactly the smallest link that fits header, headroom and 256 bytes.
  const std::size_t link = fragment_headroom + header_size + min_fragment_body;
  const auto two = fragment_message(header, counting_payload(512), link);
  REQUIRE(two);
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].size() == header_size + 256);
  CHECK((*two)[1].size() == header_size + 256);

  SECTION("one byte less and the header does not fit with a body") {
    const auto out = fragment_message(header, counting_payload(512), link - 1);
    REQUIRE_FALSE(out);
    CHECK(out.error() == fragmentation_error::link_too_small);
  }
  SECTION("a body too short to give every fragment 256 bytes is refused") {
    const auto out = fragment_message(header, counting_payload(300), link);
    REQUIRE_FALSE(out);
    CHECK(out.error() == fragmentation_error::link_too_small);
  }
}

TEST_CASE("a forwarded fragment is refragmented at its own offset") {
  auto header = routed_header();
  const auto payload = counting_payload(2000);
  for (const bool last : {false, true}) {
    header.fragment = *wire::make_fragment(last, 5000);
    const auto out = fragment_message(header, payload, 1200);
    REQUIRE(out);
    REQUIRE(out->size() == 2);
    const auto first = parse((*out)[0]);
    const auto second = parse((*out)[1]);
    CHECK(wire::fragment_offset(first.header.fragment) == 5000);
    CHECK(wire::fragment_offset(second.header.fragment) == 6000);
    CHECK_FALSE(wire::is_last_fragment(first.header.fragment));
    CHECK(wire::is_last_fragment(second.header.fragment) == last);
  }
}

TEST_CASE("offsets past 24 bits are refused") {
  auto header = routed_header();
  header.fragment = *wire::make_fragment(true, wire::fragment_offset_mask - 100);
  const auto out = fragment_message(header, counting_payload(2000), 1200);
  REQUIRE_FALSE(out);
  CHECK(out.error() == fragmentation_error::offset_out_of_range);
}
