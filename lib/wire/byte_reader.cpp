#include "wire/byte_reader.hpp"

namespace p2psip::wire {

void byte_reader::fail(codec_errc code, const char* field) noexcept {
  if (!error_slot_->has_value()) *error_slot_ = codec_error{code, field, offset()};
  pos_ = data_.size();
}

bool byte_reader::need(std::size_t n, const char* field) noexcept {
  if (!ok()) {
    pos_ = data_.size();
    return false;
  }
  if (n > remaining()) {
    fail(codec_errc::truncated, field);
    return false;
  }
  return true;
}

bool byte_reader::boolean(const char* field) noexcept {
  const auto at = offset();
  const std::uint8_t v = u8(field);
  if (v > 1 && ok()) {
    *error_slot_ = codec_error{codec_errc::invalid_value, field, at};
    pos_ = data_.size();
  }
  return v == 1;
}

bytes_view byte_reader::fixed(std::size_t n, const char* field) noexcept {
  if (!need(n, field)) return {};
  auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

bytes_view byte_reader::opaque(int prefix_bytes, std::size_t min, std::size_t max,
                               const char* field) noexcept {
  const auto at = offset();
  const std::uint64_t len = read_be(prefix_bytes, field);
  if (!ok()) return {};
  if (len > max || len < min) {
    *error_slot_ = codec_error{codec_errc::length_out_of_range, field, at};
    pos_ = data_.size();
    return {};
  }
  if (len > remaining()) {
    *error_slot_ = codec_error{codec_errc::length_past_end, field, at};
    pos_ = data_.size();
    return {};
  }
  return fixed(static_cast<std::size_t>(len), field);
}

byte_reader byte_reader::sub(std::size_t n, const char* field) noexcept {
  if (ok() && n > remaining()) {
    *error_slot_ = codec_error{codec_errc::length_past_end, field, offset()};
    pos_ = data_.size();
  }
  if (!ok()) return byte_reader(bytes_view{}, offset(), error_slot_);
  const std::size_t start = offset();
  auto view = data_.subspan(pos_, n);
  pos_ += n;
  return byte_reader(view, start, error_slot_);
}

byte_reader byte_reader::sub_prefixed(int prefix_bytes, std::size_t max,
                                      const char* field) noexcept {
  const auto at = offset();
  const std::uint64_t len = read_be(prefix_bytes, field);
  if (ok() && len > max) {
    *error_slot_ = codec_error{codec_errc::length_out_of_range, field, at};
    pos_ = data_.size();
  }
  if (ok() && len > remaining()) {
    *error_slot_ = codec_error{codec_errc::length_past_end, field, at};
    pos_ = data_.size();
  }
  return sub(ok() ? static_cast<std::size_t>(len) : 0, field);
}

void byte_reader::expect_end(const char* field) noexcept {
  if (ok() && !empty()) fail(codec_errc::trailing_bytes, field);
}

}  // namespace p2psip::wire
