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
