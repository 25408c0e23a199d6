// SHA-1 comes from libcrypto: hand-rolling a hash is worse than linking the
// library the identity layer links anyway.
#include "wire/id_hash.hpp"

#include <openssl/sha.h>

#include <array>

namespace p2psip::wire {

namespace {
std::array<std::uint8_t, SHA_DIGEST_LENGTH> sha1(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, SHA_DIGEST_LENGTH> digest{};
  SHA1(data.data(), data.size(), digest.data());
  return digest;
}
std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

resource_id hash_resource_name(std::span<const std::uint8_t> name) {
  const auto digest = sha1(name);
  return *resource_id::from_span(std::span(digest).first(node_id_length));
}

resource_id hash_resource_name(std::string_view name) { return hash_resource_name(as_bytes(name)); }

overlay_hash hash_overlay_name(std::string_view name) {
  const auto d = sha1(as_bytes(name));
  // "Lower 32 bits" of the 160-bit big-endian digest: its last four bytes.
  return overlay_hash{(std::uint32_t{d[16]} << 24) | (std::uint32_t{d[17]} << 16) |
                      (std::uint32_t{d[18]} << 8) | std::uint32_t{d[19]}};
}

}  // namespace p2psip::wire
