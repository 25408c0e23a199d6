#include "nat/stun_message.hpp"

#include <algorithm>

#include <openssl/crypto.h>

#include "nat/stun_attributes.hpp"
#include "nat/stun_crypto.hpp"

namespace p2psip::nat {
namespace {

constexpr std::uint32_t fingerprint_xor = 0x5354554e;
constexpr std::size_t integrity_attribute_size = 24;
constexpr std::size_t fingerprint_attribute_size = 8;

// The method and class bits interleave in the 14-bit type (§6, figure 3).
std::uint16_t message_type(stun_class klass, std::uint16_t method) noexcept {
  const auto k = static_cast<std::uint16_t>(klass);
  return static_cast<std::uint16_t>((method & 0x000F) | (method & 0x0070) << 1 |
                                    (method & 0x0F80) << 2 | (k & 1) << 4 | (k & 2) << 7);
}

}  // namespace

const stun_attribute* stun_message::find(std::uint16_t type) const noexcept {
  const auto it = std::find_if(attributes.begin(), attributes.end(),
                               [type](const stun_attribute& a) { return a.type == type; });
  return it == attributes.end() ? nullptr : &*it;
}

bool looks_like_stun(bytes_view bytes) noexcept {
  return bytes.size() >= stun_header_size && (bytes[0] & 0xC0) == 0 &&
         load_u32(bytes.data() + 4) == magic_cookie;
}

result<stun_message> parse_stun(bytes_view bytes) {
  if (bytes.size() < stun_header_size) return stun_error{stun_errc::truncated, bytes.size()};
  if (!looks_like_stun(bytes)) return stun_error{stun_errc::not_stun, 0};
  const std::size_t length = load_u16(bytes.data() + 2);
  if (length % 4 != 0 || stun_header_size + length != bytes.size()) {
    return stun_error{stun_errc::bad_length, 2};
  }
  stun_message m;
  const std::uint16_t type = load_u16(bytes.data());
  m.method = static_cast<std::uint16_t>((type & 0x000F) | (type & 0x00E0) >> 1 |
                                        (type & 0x3E00) >> 2);
  m.klass = static_cast<stun_class>((type >> 4 & 1) | (type >> 7 & 2));
  std::copy_n(bytes.begin() + 8, m.id.size(), m.id.begin());
  m.raw = bytes;
  // The body is a multiple of 4, so every attribute header is whole.
  for (std::size_t at = stun_header_size; at < bytes.size();) {
    const std::uint16_t attribute_type = load_u16(bytes.data() + at);
    const std::size_t size = load_u16(bytes.data() + at + 2);
    const std::size_t value_at = at + 4;
    if (padded4(size) > bytes.size() - value_at) {
      return stun_error{stun_errc::attribute_past_end, at};
    }
    const stun_attribute a{attribute_type, bytes.subspan(value_at, size)};
    if (attribute_type == attribute::fingerprint) {
      if (size != 4) return stun_error{stun_errc::bad_attribute, at};
      if (value_at + size != bytes.size()) return stun_error{stun_errc::fingerprint_not_last, at};
      if ((crc32(bytes.first(at)) ^ fingerprint_xor) != load_u32(a.value.data())) {
        return stun_error{stun_errc::fingerprint_mismatch, at};
      }
      m.attributes.push_back(a);
    } else if (!m.integrity_offset) {
      if (attribute_type == attribute::message_integrity) {
        if (size != sha1_digest{}.size()) return stun_error{stun_errc::bad_attribute, at};
        m.integrity_offset = at;
      }
      m.attributes.push_back(a);
    }
    at = value_at + padded4(size);
  }
  return m;
}

bool integrity_valid(const stun_message& message, bytes_view key) {
  if (!message.integrity_offset) return false;
  const std::size_t at = *message.integrity_offset;
  // The HMAC covers the header with the length ending at MESSAGE-INTEGRITY.
  std::vector<std::uint8_t> input(message.raw.begin(),
                                  message.raw.begin() + static_cast<std::ptrdiff_t>(at));
  store_u16(input.data() + 2,
            static_cast<std::uint16_t>(at + integrity_attribute_size - stun_header_size));
  const auto expected = hmac_sha1(key, input);
  return CRYPTO_memcmp(expected.data(), message.raw.data() + at + 4, expected.size()) == 0;
}

stun_writer::stun_writer(stun_class klass, std::uint16_t method, const transaction_id& id,
                         std::uint8_t padding)
    : padding_(padding) {
  out_.reserve(128);
  append_u16(out_, message_type(klass, method));
  append_u16(out_, 0);
  append_u32(out_, magic_cookie);
  out_.insert(out_.end(), id.begin(), id.end());
}

void stun_writer::add(std::uint16_t type, bytes_view value) {
  append_u16(out_, type);
  append_u16(out_, static_cast<std::uint16_t>(value.size()));
  out_.insert(out_.end(), value.begin(), value.end());
  out_.resize(padded4(out_.size()), padding_);
  set_length(out_.size() - stun_header_size);
}

void stun_writer::add_message_integrity(bytes_view key) {
  set_length(out_.size() - stun_header_size + integrity_attribute_size);
  const auto digest = hmac_sha1(key, out_);
  add(attribute::message_integrity, digest);
}

void stun_writer::add_fingerprint() {
  set_length(out_.size() - stun_header_size + fingerprint_attribute_size);
  std::vector<std::uint8_t> value;
  append_u32(value, crc32(out_) ^ fingerprint_xor);
  add(attribute::fingerprint, value);
}

void stun_writer::set_length(std::size_t body) {
  store_u16(out_.data() + 2, static_cast<std::uint16_t>(body));
}

}  // namespace p2psip::nat
