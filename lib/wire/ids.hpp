// Strong types for RELOAD identifiers, so that a Kind-ID cannot be passed
// where a transaction id is expected.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::wire {

template <class Tag, class Rep>
struct strong_int {
  Rep value{};
  constexpr strong_int() = default;
  constexpr explicit strong_int(Rep v) : value(v) {}
  friend constexpr auto operator<=>(strong_int, strong_int) = default;
};

using kind_id = strong_int<struct kind_id_tag, std::uint32_t>;
using transaction_id = strong_int<struct transaction_id_tag, std::uint64_t>;
using generation_counter = strong_int<struct generation_counter_tag, std::uint64_t>;
using overlay_hash = strong_int<struct overlay_hash_tag, std::uint32_t>;
using config_sequence = strong_int<struct config_sequence_tag, std::uint16_t>;
using application_id = strong_int<struct application_id_tag, std::uint16_t>;

// CHORD-RELOAD fixes NodeIdLength at 128 bits (§10.2); p2psip only runs CHORD.
inline constexpr std::size_t node_id_length = 16;

std::string to_hex(std::span<const std::uint8_t> bytes);
// Accepts exactly 2*n hex digits; nullopt otherwise.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex);

// A Node-ID: fixed length, most significant byte first (§6.3.1.1).
class node_id {
 public:
  using bytes_type = std::array<std::uint8_t, node_id_length>;
  constexpr node_id() = default;
  constexpr explicit node_id(const bytes_type& b) : bytes_(b) {}
  static std::optional<node_id> from_span(std::span<const std::uint8_t> b);
  static std::optional<node_id> from_hex(std::string_view hex);

  const bytes_type& bytes() const noexcept { return bytes_; }
  std::string hex() const { return to_hex(bytes_); }
  // By value, a word at a time: routing compares ids on every hop, and the
  // defaulted operators go through an out-of-line memcmp.
  friend bool operator==(const node_id& a, const node_id& b) noexcept {
    return a.word(0) == b.word(0) && a.word(1) == b.word(1);
  }
  friend std::strong_ordering operator<=>(const node_id& a, const node_id& b) noexcept {
    if (const auto high = a.word(0) <=> b.word(0); high != 0) return high;
    return a.word(1) <=> b.word(1);
  }

 private:
  // The i'th eight bytes as a big-endian number, so words order as bytes do.
  std::uint64_t word(std::size_t i) const noexcept {
    std::uint64_t w;
    std::memcpy(&w, bytes_.data() + 8 * i, sizeof w);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    return w;
  }

  bytes_type bytes_{};
};

// A variable-length opaque identifier, tagged so the kinds do not mix.
template <class Tag, std::size_t MaxLength>
class bounded_id {
 public:
  static constexpr std::size_t max_length = MaxLength;
  bounded_id() = default;
  // Truncates nothing: callers must check length; from_span() does.
  static std::optional<bounded_id> from_span(std::span<const std::uint8_t> b) {
    if (b.size() > MaxLength) return std::nullopt;
    bounded_id id;
    id.bytes_.assign(b.begin(), b.end());
    return id;
  }
  std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  std::size_t size() const noexcept { return bytes_.size(); }
  std::string hex() const { return to_hex(bytes_); }
  friend auto operator<=>(const bounded_id&, const bounded_id&) = default;

 private:
  std::vector<std::uint8_t> bytes_;
};

// ResourceId: opaque<0..2^8-1> (§6.3.1.1).
using resource_id = bounded_id<struct resource_id_tag, 255>;
// opaque_id in a Destination: opaque<0..2^8-1> (§6.3.2.2).
using opaque_id = bounded_id<struct opaque_id_tag, 255>;

}  // namespace p2psip::wire

template <>
struct std::hash<p2psip::wire::node_id> {
  std::size_t operator()(const p2psip::wire::node_id& id) const noexcept {
    // Node-IDs are hash outputs: any eight of their bytes are already uniform.
    std::size_t h;
    std::memcpy(&h, id.bytes().data(), sizeof h);
    return h;
  }
};
