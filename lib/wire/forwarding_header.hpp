// ForwardingHeader and ForwardingOption, RFC 6940 §6.3.2 and §6.3.2.3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/destination.hpp"
#include "wire/ids.hpp"

namespace p2psip::wire {

inline constexpr std::uint32_t relo_token = 0xd2454c4f;  // "RELO", high bit set
inline constexpr std::uint8_t reload_version = 0x0a;     // 1.0 times ten

// The fixed part runs from relo_token to options_length; `length` sits at
// byte 16 so the message layer can back-patch it.
inline constexpr std::size_t forwarding_header_fixed_size = 38;
inline constexpr std::size_t forwarding_header_length_offset = 16;

// The fragment field, §6.3.2 and §6.7: a historical bit that must be set, a
// last-fragment bit, six reserved bits, and a 24-bit offset.
inline constexpr std::uint32_t fragment_high_bit = 0x80000000;
inline constexpr std::uint32_t fragment_last_bit = 0x40000000;
inline constexpr std::uint32_t fragment_offset_mask = 0x00ffffff;
// An unfragmented message is its own last fragment at offset 0.
inline constexpr std::uint32_t unfragmented = fragment_high_bit | fragment_last_bit;

constexpr bool is_last_fragment(std::uint32_t fragment) noexcept {
  return (fragment & fragment_last_bit) != 0;
}
constexpr std::uint32_t fragment_offset(std::uint32_t fragment) noexcept {
  return fragment & fragment_offset_mask;
}
// nullopt when the offset does not fit in 24 bits.
constexpr std::optional<std::uint32_t> make_fragment(bool last, std::uint32_t offset) noexcept {
  if (offset > fragment_offset_mask) return std::nullopt;
  return fragment_high_bit | (last ? fragment_last_bit : 0) | offset;
}

// Only invalidForwardingOptionType(0) and exp-forward(1) exist (§14.12), so
// every option is carried raw; the flags tell a node that does not know the
// type what it must do.
struct forwarding_option {
  static constexpr std::uint8_t forward_critical = 0x01;
  static constexpr std::uint8_t destination_critical = 0x02;
  static constexpr std::uint8_t response_copy = 0x04;

  std::uint8_t type = 1;
  std::uint8_t flags = 0;
  std::vector<std::uint8_t> value;  // `length` bytes
  friend bool operator==(const forwarding_option&, const forwarding_option&) = default;
};

// relo_token and version are constants: decode rejects any other value and
// encode writes them. The three list lengths are derived from the lists.
struct forwarding_header {
  overlay_hash overlay;
  config_sequence configuration_sequence;
  std::uint8_t ttl = 100;  // the default initial-ttl
  std::uint32_t fragment = unfragmented;
  // Whole message size in bytes; the message encoder computes it.
  std::uint32_t length = 0;
  wire::transaction_id transaction_id;
  std::uint32_t max_response_length = 0;
  std::vector<destination> via_list;
  std::vector<destination> destination_list;
  std::vector<forwarding_option> options;
  friend bool operator==(const forwarding_header&, const forwarding_header&) = default;
};

void encode(byte_writer& w, const forwarding_option& v);
void decode(byte_reader& r, forwarding_option& v);
void encode(byte_writer& w, const forwarding_header& v);
void decode(byte_reader& r, forwarding_header& v);

// The header in two steps, so the message layer can bound the message size
// from the fixed part before it parses any list.
struct forwarding_list_lengths {
  std::uint16_t via_list = 0;
  std::uint16_t destination_list = 0;
  std::uint16_t options = 0;
};
// relo_token through options_length: bad_token, unsupported_version, and a
// cleared high fragment bit (invalid_value) are rejected here.
forwarding_list_lengths decode_forwarding_fixed_part(byte_reader& r, forwarding_header& v);
void decode_forwarding_lists(byte_reader& r, const forwarding_list_lengths& lengths,
                             forwarding_header& v);

}  // namespace p2psip::wire
