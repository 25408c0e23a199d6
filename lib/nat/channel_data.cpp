#include "nat/channel_data.hpp"

#include "nat/stun_message.hpp"

namespace p2psip::nat {

bool looks_like_channel_data(bytes_view bytes) noexcept {
  return !bytes.empty() && (bytes[0] & 0xC0) == 0x40;
}

result<channel_data> parse_channel_data(bytes_view bytes) {
  if (bytes.size() < channel_header_size) return stun_error{stun_errc::truncated, bytes.size()};
  const std::uint16_t channel = load_u16(bytes.data());
  if (!valid_channel(channel)) return stun_error{stun_errc::not_channel_data, 0};
  const std::size_t size = load_u16(bytes.data() + 2);
  const std::size_t room = bytes.size() - channel_header_size;
  if (size > room) return stun_error{stun_errc::truncated, bytes.size()};
  if (room - size > 3) return stun_error{stun_errc::bad_length, 2};
  return channel_data{channel, bytes.subspan(channel_header_size, size)};
}

std::vector<std::uint8_t> encode_channel_data(std::uint16_t channel, bytes_view data, bool pad) {
  std::vector<std::uint8_t> out;
  encode_channel_data(channel, data, pad, out);
  return out;
}

void encode_channel_data(std::uint16_t channel, bytes_view data, bool pad,
                         std::vector<std::uint8_t>& out) {
  out.clear();
  out.reserve(channel_header_size + padded4(data.size()));
  append_u16(out, channel);
  append_u16(out, static_cast<std::uint16_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  if (pad) out.resize(padded4(out.size()), 0);
}

void stream_framer::append(bytes_view bytes) {
  if (consumed_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

result<std::optional<bytes_view>> stream_framer::next() {
  const bytes_view rest = bytes_view(buffer_).subspan(consumed_);
  if (rest.size() < 4) return std::optional<bytes_view>{};
  const std::size_t length = load_u16(rest.data() + 2);
  std::size_t frame = 0;
  if ((rest[0] & 0xC0) == 0) {
    frame = stun_header_size + length;
  } else if (looks_like_channel_data(rest)) {
    frame = channel_header_size + padded4(length);
  } else {
    return stun_error{stun_errc::not_stun, consumed_};
  }
  if (rest.size() < frame) return std::optional<bytes_view>{};
  consumed_ += frame;
  return std::optional<bytes_view>{rest.first(frame)};
}

}  // namespace p2psip::nat
