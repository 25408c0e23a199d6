// Per-hop framing, RFC 6940 §6.6.2: FramedMessage and a stream splitter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec_error.hpp"

namespace p2psip::wire {

enum class framed_message_type : std::uint8_t { data = 128, ack = 129 };

struct framed_data {
  std::uint32_t sequence = 0;
  std::vector<std::uint8_t> message;  // opaque message<0..2^24-1>
  friend bool operator==(const framed_data&, const framed_data&) = default;
};

struct framed_ack {
  std::uint32_t ack_sequence = 0;
  std::uint32_t received = 0;  // bit k set: sequence ack_sequence-k was received
  friend bool operator==(const framed_ack&, const framed_ack&) = default;
};

struct framed_message {
  std::variant<framed_data, framed_ack> value;
  friend bool operator==(const framed_message&, const framed_message&) = default;
};

inline constexpr std::size_t framed_data_header_size = 1 + 4 + 3;
inline constexpr std::size_t framed_ack_size = 1 + 4 + 4;
inline constexpr std::size_t max_framed_payload = (std::size_t{1} << 24) - 1;

void encode(byte_writer& w, const framed_message& m);
void decode(byte_reader& r, framed_message& m);

// Appends one encoded data frame to `out` without building a framed_data, so a
// sender can batch frames into one buffer. Fails if the payload exceeds 2^24-1.
result<std::size_t> append_data_frame(std::vector<std::uint8_t>& out, std::uint32_t sequence,
                                      bytes_view message);
void append_ack_frame(std::vector<std::uint8_t>& out, const framed_ack& ack);

// Cuts a byte stream (e.g. TLS plaintext arriving in arbitrary chunks) into
// whole frames. A data frame's 3-byte length is checked against the
// configured maximum before any of its payload is buffered, so the buffer
// never holds more than one frame of at most max_message_size bytes. The
// first error is sticky: a stream that desynchronised cannot be resumed.
class frame_splitter {
 public:
  explicit frame_splitter(std::size_t max_message_size) noexcept
      : max_message_size_(max_message_size) {}

  // Consumes bytes from the front of `input` up to the end of the next frame.
  // Returns that frame, nullopt once `input` is used up mid-frame (the
  // partial frame is kept), or the stream's error.
  result<std::optional<framed_message>> next(bytes_view& input);

  // Bytes of an incomplete frame currently held.
  std::size_t buffered() const noexcept { return buffer_.size(); }

 private:
  // Total frame size once enough of the header is known; nullopt before.
  std::optional<std::size_t> frame_size(bytes_view head);

  std::size_t max_message_size_;
  std::vector<std::uint8_t> buffer_;
  std::optional<codec_error> error_;
  std::size_t consumed_ = 0;  // stream offset, for error positions
};

}  // namespace p2psip::wire
