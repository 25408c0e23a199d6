#include "wire/framing.hpp"

#include <algorithm>

#include "wire/codec.hpp"

namespace p2psip::wire {

namespace {
constexpr auto data_type = static_cast<std::uint8_t>(framed_message_type::data);
constexpr auto ack_type = static_cast<std::uint8_t>(framed_message_type::ack);

struct encoder {
  byte_writer& w;
  void operator()(const framed_data& d) const {
    w.u8(data_type);
    w.u32(d.sequence);
    w.opaque(3, 0, max_framed_payload, d.message, "FramedMessage.message");
  }
  void operator()(const framed_ack& a) const {
    w.u8(ack_type);
    w.u32(a.ack_sequence);
    w.u32(a.received);
  }
};
}  // namespace

void encode(byte_writer& w, const framed_message& m) { std::visit(encoder{w}, m.value); }

void decode(byte_reader& r, framed_message& m) {
  const std::uint8_t type = r.u8("FramedMessage.type");
  if (!r.ok()) return;
  if (type == data_type) {
    framed_data d;
    d.sequence = r.u32("FramedMessage.sequence");
    const auto message = r.opaque(3, 0, max_framed_payload, "FramedMessage.message");
    d.message.assign(message.begin(), message.end());
    m.value = std::move(d);
  } else if (type == ack_type) {
    framed_ack a;
    a.ack_sequence = r.u32("FramedMessage.ack_sequence");
    a.received = r.u32("FramedMessage.received");
    m.value = a;
  } else {
    r.fail(codec_errc::unknown_type, "FramedMessage.type");
  }
}

result<std::size_t> append_data_frame(std::vector<std::uint8_t>& out, std::uint32_t sequence,
                                      bytes_view message) {
  if (message.size() > max_framed_payload) {
    return codec_error{codec_errc::too_long_to_encode, "FramedMessage.message", 0};
  }
  const std::size_t at = out.size();
  const std::size_t size = framed_data_header_size + message.size();
  out.resize(at + size);
  byte_writer w{std::span<std::uint8_t>(out).subspan(at)};
  w.u8(data_type);
  w.u32(sequence);
  w.u24(static_cast<std::uint32_t>(message.size()), "FramedMessage.message");
  w.fixed(message);
  return size;
}

void append_ack_frame(std::vector<std::uint8_t>& out, const framed_ack& ack) {
  const std::size_t at = out.size();
  out.resize(at + framed_ack_size);
  byte_writer w{std::span<std::uint8_t>(out).subspan(at)};
  encoder{w}(ack);
}

std::optional<std::size_t> frame_splitter::frame_size(bytes_view head) {
  if (head.empty()) return std::nullopt;
  if (head[0] == ack_type) return framed_ack_size;
  if (head[0] != data_type) {
    error_ = codec_error{codec_errc::unknown_type, "FramedMessage.type", consumed_};
    return std::nullopt;
  }
  if (head.size() < framed_data_header_size) return std::nullopt;
  const std::size_t length = (std::size_t{head[5]} << 16) | (std::size_t{head[6]} << 8) | head[7];
  if (length > max_message_size_) {
    error_ = codec_error{codec_errc::message_too_large, "FramedMessage.message", consumed_ + 5};
    return std::nullopt;
  }
  return framed_data_header_size + length;
}

result<std::optional<framed_message>> frame_splitter::next(bytes_view& input) {
  const auto complete = [this](bytes_view frame) -> result<std::optional<framed_message>> {
    auto decoded = from_bytes<framed_message>(frame);
    consumed_ += frame.size();
    if (!decoded) {
      error_ = decoded.error();
      return *error_;
    }
    return std::optional<framed_message>(std::move(*decoded));
  };
  if (error_) return *error_;

  // Common case: a whole frame sits in the input, so skip the copy.
  if (buffer_.empty()) {
    const auto size = frame_size(input);
    if (error_) return *error_;
    if (size && *size <= input.size()) {
      const auto frame = input.first(*size);
      input = input.subspan(*size);
      return complete(frame);
    }
  }
  while (!input.empty()) {
    // Until the header tells the frame's size, take one byte at a time so
    // nothing past the length field is buffered before it is checked.
    const auto size = frame_size(buffer_);
    const std::size_t wanted = size ? *size - buffer_.size() : 1;
    const std::size_t n = std::min(wanted, input.size());
    buffer_.insert(buffer_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(n));
    input = input.subspan(n);
    const auto now_size = frame_size(buffer_);
    if (error_) return *error_;
    if (now_size && buffer_.size() == *now_size) {
      auto frame = complete(buffer_);
      buffer_.clear();
      return frame;
    }
  }
  return std::optional<framed_message>{};
}

}  // namespace p2psip::wire
