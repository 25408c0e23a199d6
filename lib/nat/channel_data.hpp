// ChannelData messages (RFC 5766 §11.4) and the splitter for streams, where
// STUN messages and ChannelData come back to back and ChannelData is padded
// to a multiple of 4 (§11.5).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nat/byte_order.hpp"
#include "nat/stun_error.hpp"

namespace p2psip::nat {

inline constexpr std::uint16_t min_channel = 0x4000;
inline constexpr std::uint16_t max_channel = 0x7FFF;
inline constexpr std::size_t channel_header_size = 4;

constexpr bool valid_channel(std::uint16_t channel) noexcept {
  return channel >= min_channel && channel <= max_channel;
}

// True when the first two bits are 01, which sets ChannelData apart from
// STUN (00) on the same socket.
bool looks_like_channel_data(bytes_view bytes) noexcept;

struct channel_data {
  std::uint16_t channel = 0;
  bytes_view data;  // points into the parsed buffer
};

// One ChannelData message; up to 3 bytes of padding may follow the data
// (always there over streams, optional over UDP).
result<channel_data> parse_channel_data(bytes_view bytes);

// Header, data and, when `pad` (streams), zeros up to a multiple of 4.
std::vector<std::uint8_t> encode_channel_data(std::uint16_t channel, bytes_view data, bool pad);
// The same into `out`, replacing what it held: a relay reuses one buffer.
void encode_channel_data(std::uint16_t channel, bytes_view data, bool pad,
                         std::vector<std::uint8_t>& out);

// Cuts a TCP or TLS byte stream into whole STUN messages and padded
// ChannelData frames. After an error the stream cannot be resynchronised:
// the caller closes the connection.
class stream_framer {
 public:
  void append(bytes_view bytes);
  // The next whole frame, valid until the next call; nothing while one is
  // incomplete; not_stun when the first bits are 10 or 11.
  result<std::optional<bytes_view>> next();

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already handed out
};

}  // namespace p2psip::nat
