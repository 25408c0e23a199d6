#include "wire/id_hash.hpp"

#include "wire_test_util.hpp"

using namespace p2psip::wire;

TEST_CASE("Resource-ID is SHA-1 of the name truncated to 128 bits") {
  // SHA-1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d (FIPS 180 vector).
  CHECK(hash_resource_name("abc").hex() == "a9993e364706816aba3e25717850c26c");
  CHECK(hash_resource_name("abc").size() == 16);
}

TEST_CASE("overlay field is the low 32 bits of SHA-1 of the overlay name") {
  CHECK(hash_overlay_name("abc") == overlay_hash{0x9cd0d89d});
  CHECK(hash_overlay_name("abc") != hash_overlay_name("abd"));
}

TEST_CASE("Node-IDs compare as their bytes do, most significant first") {
  // Pairs that differ in the first byte, in the last byte, and only in the
  // low eight bytes (where a little-endian word compare would go wrong).
  const auto id = [](std::string_view hex) { return *node_id::from_hex(hex); };
  const auto a = id("00000000000000000000000000000001");
  const auto b = id("01000000000000000000000000000000");
  const auto c = id("00000000000000000100000000000000");
  const auto d = id("000000000000000000000000000000ff");
  CHECK(a < b);
  CHECK(a < c);
  CHECK(d < c);
  CHECK(a < d);
  CHECK(a == id("00000000000000000000000000000001"));
  CHECK(a != d);
  CHECK((b <=> b) == std::strong_ordering::equal);
  // Against the byte-wise order on many ids.
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 1000; ++i) {
    node_id::bytes_type p{}, q{};
    for (auto* bytes : {&p, &q}) {
      for (auto& byte : *bytes) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        byte = static_cast<std::uint8_t>(x & 3);  // few values: many shared prefixes
      }
    }
    CHECK((node_id(p) < node_id(q)) == (p < q));
    CHECK((node_id(p) == node_id(q)) == (p == q));
  }
}
