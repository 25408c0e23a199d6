// Big-endian writer that either measures or writes into a presized buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "wire/codec_error.hpp"

namespace p2psip::wire {

// Encoders run twice through the same code: once measuring (no buffer), then
// writing into a buffer of exactly the measured size. That makes encoding a
// message cost one allocation. Length prefixes are reserved and back-patched.
class byte_writer {
 public:
  byte_writer() noexcept = default;  // measuring mode
  explicit byte_writer(std::span<std::uint8_t> out) noexcept : out_(out), writing_(true) {}

  bool ok() const noexcept { return !error_.has_value(); }
  const std::optional<codec_error>& error() const noexcept { return error_; }
  std::size_t size() const noexcept { return pos_; }

  void fail(codec_errc code, const char* field) noexcept;

  void u8(std::uint8_t v) noexcept { put_be(v, 1); }
  void u16(std::uint16_t v) noexcept { put_be(v, 2); }
  void u24(std::uint32_t v, const char* field) noexcept;
  void u32(std::uint32_t v) noexcept { put_be(v, 4); }
  void u64(std::uint64_t v) noexcept { put_be(v, 8); }
  void boolean(bool v) noexcept { u8(v ? 1 : 0); }
  void fixed(std::span<const std::uint8_t> bytes) noexcept;
  // opaque field<min..max> with a prefix of prefix_bytes.
  void opaque(int prefix_bytes, std::size_t min, std::size_t max,
              std::span<const std::uint8_t> bytes, const char* field) noexcept;

  // Reserve a length prefix; end_prefixed() back-patches it with the bytes
  // written since, failing with too_long_to_encode above max.
  struct mark {
    std::size_t at;
    int prefix_bytes;
  };
  mark begin_prefixed(int prefix_bytes) noexcept;
  void end_prefixed(mark m, std::size_t max, const char* field) noexcept;
  // Patch a value written earlier at a known position (e.g. header length).
  void patch_u16(std::size_t at, std::uint16_t v) noexcept { patch_be(at, v, 2); }
  void patch_u32(std::size_t at, std::uint32_t v) noexcept { patch_be(at, v, 4); }

 private:
  // Inline so that constant widths unroll: this is the encoder's hot path.
  void put_be(std::uint64_t v, int width) noexcept {
    const auto n = static_cast<std::size_t>(width);
    if (writing_) {
      if (pos_ + n > out_.size()) {
        fail(codec_errc::truncated, "output buffer");
      } else {
        for (std::size_t i = 0; i < n; ++i) {
          out_[pos_ + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
        }
      }
    }
    pos_ += n;
  }
  void patch_be(std::size_t at, std::uint64_t v, int width) noexcept;

  std::span<std::uint8_t> out_{};
  bool writing_ = false;
  std::size_t pos_ = 0;
  std::optional<codec_error> error_;
};

// Encode any structure that has `void encode(byte_writer&, const T&)` in one
// allocation.
template <class T>
result<std::vector<std::uint8_t>> to_bytes(const T& value) {
  byte_writer measure;
  encode(measure, value);
  if (!measure.ok()) return *measure.error();
  std::vector<std::uint8_t> out(measure.size());
  byte_writer w{std::span<std::uint8_t>(out)};
  encode(w, value);
  if (!w.ok()) return *w.error();
  return out;
}

}  // namespace p2psip::wire
