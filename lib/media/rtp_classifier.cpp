#include "media/rtp_classifier.hpp"

#include "nat/byte_order.hpp"

namespace p2psip::media {

namespace {

constexpr std::size_t rtp_fixed_header = 12;
constexpr std::size_t rtcp_fixed_header = 8;
constexpr std::uint8_t version_2 = 2;

std::uint8_t version(bytes_view packet) noexcept { return packet[0] >> 6; }

}  // namespace

const char* to_string(packet_kind kind) noexcept {
  switch (kind) {
    case packet_kind::stun: return "stun";
    case packet_kind::dtls: return "dtls";
    case packet_kind::rtp: return "rtp";
    case packet_kind::rtcp: return "rtcp";
    case packet_kind::unknown: return "unknown";
  }
  return "?";
}

packet_kind classify_packet(bytes_view packet) noexcept {
  if (packet.empty()) return packet_kind::unknown;
  const std::uint8_t first = packet[0];
  if (first <= 3) return packet_kind::stun;
  if (first >= 20 && first <= 63) return packet_kind::dtls;
  if (first >= 128 && first <= 191) {
    if (packet.size() < 2) return packet_kind::unknown;
    const std::uint8_t type = packet[1] & 0x7F;
    return type >= 64 && type <= 95 ? packet_kind::rtcp : packet_kind::rtp;
  }
  return packet_kind::unknown;  // ZRTP (16-19), TURN ChannelData (64-79), the rest
}

std::optional<rtp_header> parse_rtp_header(bytes_view packet) noexcept {
  if (packet.size() < rtp_fixed_header || version(packet) != version_2) return std::nullopt;
  const bool has_padding = packet[0] & 0x20;
  const bool has_extension = packet[0] & 0x10;
  const std::size_t csrc_count = packet[0] & 0x0F;
  rtp_header h;
  h.marker = packet[1] & 0x80;
  h.payload_type = packet[1] & 0x7F;
  h.sequence = nat::load_u16(&packet[2]);
  h.timestamp = nat::load_u32(&packet[4]);
  h.ssrc = nat::load_u32(&packet[8]);
  std::size_t size = rtp_fixed_header + 4 * csrc_count;
  if (has_extension) {
    // Profile-defined 16 bits, then the length in 32-bit words (§5.3.1).
    if (packet.size() < size + 4) return std::nullopt;
    size += 4 + 4 * std::size_t{nat::load_u16(&packet[size + 2])};
  }
  if (packet.size() < size) return std::nullopt;
  h.header_size = size;
  if (has_padding) {
    const std::size_t padding = packet.back();
    if (padding == 0 || padding > packet.size() - size) return std::nullopt;
    h.padding = padding;
  }
  return h;
}

bool is_valid_rtcp(bytes_view packet) noexcept {
  if (packet.size() < rtcp_fixed_header || version(packet) != version_2) return false;
  const std::size_t length = 4 * (std::size_t{nat::load_u16(&packet[2])} + 1);
  return length <= packet.size();
}

}  // namespace p2psip::media
