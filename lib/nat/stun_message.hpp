// The STUN message codec, RFC 5389 §6 and §15: a strict parser that returns
// views into the caller's buffer, and a writer that keeps the header's length
// current so MESSAGE-INTEGRITY and FINGERPRINT can be computed in place.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "nat/byte_order.hpp"
#include "nat/stun_error.hpp"

namespace p2psip::nat {

inline constexpr std::uint32_t magic_cookie = 0x2112A442;
inline constexpr std::size_t stun_header_size = 20;

enum class stun_class : std::uint8_t { request = 0, indication = 1, success = 2, error = 3 };

namespace stun_method {
inline constexpr std::uint16_t binding = 0x001;
inline constexpr std::uint16_t allocate = 0x003;
inline constexpr std::uint16_t refresh = 0x004;
inline constexpr std::uint16_t send = 0x006;
inline constexpr std::uint16_t data = 0x007;
inline constexpr std::uint16_t create_permission = 0x008;
inline constexpr std::uint16_t channel_bind = 0x009;
}  // namespace stun_method

using transaction_id = std::array<std::uint8_t, 12>;

struct stun_attribute {
  std::uint16_t type = 0;
  bytes_view value;  // without padding
};

// A parsed message. Every view points into the parsed buffer, which must
// outlive it.
struct stun_message {
  stun_class klass = stun_class::request;
  std::uint16_t method = 0;
  transaction_id id{};
  // In order. Attributes after MESSAGE-INTEGRITY are left out (§15.4), except
  // FINGERPRINT, which the parser has already checked.
  std::vector<stun_attribute> attributes;
  bytes_view raw;                              // the whole message
  std::optional<std::size_t> integrity_offset;  // where MESSAGE-INTEGRITY's header starts

  // The first occurrence: later duplicates are ignored (§15).
  const stun_attribute* find(std::uint16_t type) const noexcept;
};

// True when the bytes start like a STUN message (top two bits zero and the
// magic cookie), which is how STUN is told apart from ChannelData and media.
bool looks_like_stun(bytes_view bytes) noexcept;

// Parses exactly one message filling `bytes`, checking lengths, the cookie,
// attribute bounds, FINGERPRINT's place and value. Padding content is ignored,
// as §15 requires.
result<stun_message> parse_stun(bytes_view bytes);

// Builds one message. The padding byte is 0 unless a test needs the RFC 5769
// vectors' spaces back.
class stun_writer {
 public:
  stun_writer(stun_class klass, std::uint16_t method, const transaction_id& id,
              std::uint8_t padding = 0);

  void add(std::uint16_t type, bytes_view value);
  // HMAC-SHA1 over everything so far with the length counting the attribute.
  void add_message_integrity(bytes_view key);
  // CRC-32 of everything so far, xor 0x5354554e; the last attribute.
  void add_fingerprint();

  const std::vector<std::uint8_t>& bytes() const noexcept { return out_; }
  std::vector<std::uint8_t> take() && { return std::move(out_); }

 private:
  void set_length(std::size_t body);

  std::vector<std::uint8_t> out_;
  std::uint8_t padding_;
};

// True when MESSAGE-INTEGRITY is present and matches `key` (a short-term
// password or the long-term MD5 key).
bool integrity_valid(const stun_message& message, bytes_view key);

}  // namespace p2psip::nat
