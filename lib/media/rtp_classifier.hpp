// What a datagram on a media port is, from its first bytes: STUN, DTLS, RTP
// or RTCP (RFC 7983 §7's first-byte ranges; RTP against RTCP on an rtcp-mux
// stream by RFC 5761 §4's payload-type rule), and the checks that make an
// RTP or RTCP header safe to read. Pure functions; no packet is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace p2psip::media {

using bytes_view = std::span<const std::uint8_t>;

enum class packet_kind : std::uint8_t { stun, dtls, rtp, rtcp, unknown };

const char* to_string(packet_kind kind) noexcept;

// By the first byte, then (128-191) the second: 64-95 once the marker bit is
// masked off is RTCP (packet types 192-223), anything else RTP. Says nothing
// about whether the rest of the packet holds together: see the parsers.
packet_kind classify_packet(bytes_view packet) noexcept;

// The fixed RTP header's fields (RFC 3550 §5.1).
struct rtp_header {
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::size_t header_size = 0;  // 12 + CSRCs + extension: where the payload starts
  std::size_t padding = 0;      // octets of padding at the end (P bit)
};

// Nothing unless: version 2, at least 12 bytes, the CSRC list, the header
// extension and the padding count all inside the packet.
std::optional<rtp_header> parse_rtp_header(bytes_view packet) noexcept;

// Version 2, at least the 8-byte header, and the first packet's length
// field inside the datagram (RFC 3550 §6.4.1). Enough to forward it.
bool is_valid_rtcp(bytes_view packet) noexcept;

}  // namespace p2psip::media
