#include "wire/byte_writer.hpp"

#include <cstring>

namespace p2psip::wire {

void byte_writer::fail(codec_errc code, const char* field) noexcept {
  if (!error_) error_ = codec_error{code, field, pos_};
}

void byte_writer::u24(std::uint32_t v, const char* field) noexcept {
  if (v > 0xffffffu) fail(codec_errc::too_long_to_encode, field);
  put_be(v, 3);
}

void byte_writer::fixed(std::span<const std::uint8_t> bytes) noexcept {
  if (writing_ && pos_ + bytes.size() <= out_.size()) {
    if (!bytes.empty()) std::memcpy(out_.data() + pos_, bytes.data(), bytes.size());
  } else if (writing_) {
    fail(codec_errc::truncated, "output buffer");
  }
  pos_ += bytes.size();
}

void byte_writer::opaque(int prefix_bytes, std::size_t min, std::size_t max,
                         std::span<const std::uint8_t> bytes, const char* field) noexcept {
  if (bytes.size() > max || bytes.size() < min) fail(codec_errc::too_long_to_encode, field);
  put_be(bytes.size(), prefix_bytes);
  fixed(bytes);
}

byte_writer::mark byte_writer::begin_prefixed(int prefix_bytes) noexcept {
  mark m{pos_, prefix_bytes};
  put_be(0, prefix_bytes);
  return m;
}

void byte_writer::end_prefixed(mark m, std::size_t max, const char* field) noexcept {
  const auto width = static_cast<std::size_t>(m.prefix_bytes);
  const std::size_t len = pos_ - m.at - width;
  if (len > max) {
    fail(codec_errc::too_long_to_encode, field);
    return;
  }
  if (writing_ && m.at + width <= out_.size()) {
    for (std::size_t i = 0; i < width; ++i) {
      out_[m.at + i] = static_cast<std::uint8_t>(len >> (8 * (width - 1 - i)));
    }
  }
}

void byte_writer::patch_be(std::size_t at, std::uint64_t v, int width) noexcept {
  const auto n = static_cast<std::size_t>(width);
  if (!writing_ || at + n > out_.size()) return;
  for (std::size_t i = 0; i < n; ++i) out_[at + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
}

}  // namespace p2psip::wire
