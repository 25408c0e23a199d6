// Bounds-checked big-endian reader with a sticky first error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wire/codec_error.hpp"

namespace p2psip::wire {

using bytes_view = std::span<const std::uint8_t>;

// Every read checks its bounds. After the first failure the reader is drained:
// later reads return zeros/empty spans and loops over remaining() end, so
// decoders need no error checks between fields. Sub-readers for
// length-delimited blocks report into the root's error slot.
class byte_reader {
 public:
  explicit byte_reader(bytes_view data) noexcept
      : data_(data), error_slot_(&own_error_) {}

  byte_reader(const byte_reader&) = delete;
  byte_reader& operator=(const byte_reader&) = delete;
  byte_reader(byte_reader&&) = delete;
  byte_reader& operator=(byte_reader&&) = delete;

  bool ok() const noexcept { return !error_slot_->has_value(); }
  const std::optional<codec_error>& error() const noexcept { return *error_slot_; }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return remaining() == 0; }
  // Absolute offset of the next byte in the outermost buffer.
  std::size_t offset() const noexcept { return base_ + pos_; }

  // Records the first error and drains the reader (and its parent's view of it).
  void fail(codec_errc code, const char* field) noexcept;

  std::uint8_t u8(const char* field) noexcept { return static_cast<std::uint8_t>(read_be(1, field)); }
  std::uint16_t u16(const char* field) noexcept {
    return static_cast<std::uint16_t>(read_be(2, field));
  }
  std::uint32_t u24(const char* field) noexcept {
    return static_cast<std::uint32_t>(read_be(3, field));
  }
  std::uint32_t u32(const char* field) noexcept {
    return static_cast<std::uint32_t>(read_be(4, field));
  }
  std::uint64_t u64(const char* field) noexcept { return read_be(8, field); }
  // Boolean per §6.3.1.1: only 0 and 1 are valid.
  bool boolean(const char* field) noexcept;

  // Fixed-size run of bytes.
  bytes_view fixed(std::size_t n, const char* field) noexcept;
  // opaque field<min..max> with a prefix of prefix_bytes (1, 2, 3 or 4).
  bytes_view opaque(int prefix_bytes, std::size_t min, std::size_t max,
                    const char* field) noexcept;
  // Length-delimited block of exactly n bytes, for nested structures.
  byte_reader sub(std::size_t n, const char* field) noexcept;
  // Length-prefixed block (a vector of structures, or a TLV body).
  byte_reader sub_prefixed(int prefix_bytes, std::size_t max, const char* field) noexcept;

  // Fails with trailing_bytes if anything is left.
  void expect_end(const char* field) noexcept;

 private:
  byte_reader(bytes_view data, std::size_t base, std::optional<codec_error>* slot) noexcept
      : data_(data), base_(base), error_slot_(slot) {}

  bool need(std::size_t n, const char* field) noexcept;
  // Inline so that constant widths unroll: this is the decoder's hot path.
  std::uint64_t read_be(int width, const char* field) noexcept {
    const auto n = static_cast<std::size_t>(width);
    if (!ok() || n > remaining()) {
      need(n, field);  // records truncation (or keeps the earlier error) and drains
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }

  bytes_view data_;
  std::size_t pos_ = 0;
  std::size_t base_ = 0;
  std::optional<codec_error> own_error_;
  std::optional<codec_error>* error_slot_;
};

}  // namespace p2psip::wire
