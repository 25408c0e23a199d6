// RFC 7983's first-byte demultiplexing, RFC 5761 §4's RTP/RTCP split, and
// RTP/RTCP headers whose lengths point outside the datagram.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "media/rtp_classifier.hpp"

using namespace p2psip::media;
using bytes = std::vector<std::uint8_t>;

namespace {

bytes rtp(std::uint8_t first = 0x80, std::uint8_t second = 0x00, std::size_t total = 172) {
  bytes p(total, 0xAB);
  p[0] = first;
  p[1] = second;
  p[2] = 0x12;
  p[3] = 0x34;
  return p;
}

}  // namespace

TEST_CASE("first bytes tell STUN, DTLS, RTP and RTCP apart") {
  CHECK(classify_packet(bytes{}) == packet_kind::unknown);
  CHECK(classify_packet(bytes{0x00, 0x01}) == packet_kind::stun);
  CHECK(classify_packet(bytes{0x03}) == packet_kind::stun);
  CHECK(classify_packet(bytes{16, 0}) == packet_kind::unknown);  // ZRTP
  CHECK(classify_packet(bytes{22, 0xFE}) == packet_kind::dtls);  // handshake
  CHECK(classify_packet(bytes{63}) == packet_kind::dtls);
  CHECK(classify_packet(bytes{64, 0}) == packet_kind::unknown);  // TURN channel
  CHECK(classify_packet(bytes{0x80}) == packet_kind::unknown);   // too short to tell
  CHECK(classify_packet(rtp(0x80, 0)) == packet_kind::rtp);
  CHECK(classify_packet(rtp(0x80, 0x80 | 101)) == packet_kind::rtp);  // marker, PT 101
  CHECK(classify_packet(rtp(0x80, 63)) == packet_kind::rtp);
  CHECK(classify_packet(rtp(0x80, 96)) == packet_kind::rtp);
  CHECK(classify_packet(rtp(0x81, 200)) == packet_kind::rtcp);  // SR
  CHECK(classify_packet(rtp(0x80, 192)) == packet_kind::rtcp);
  CHECK(classify_packet(rtp(0x80, 223)) == packet_kind::rtcp);
  CHECK(classify_packet(rtp(0xC0, 0)) == packet_kind::unknown);  // 192: past RTP's range
  CHECK(std::string(to_string(packet_kind::rtcp)) == "rtcp");
}

TEST_CASE("RTP headers: fields, CSRCs, extension, padding") {
  auto p = rtp(0x80, 0x80 | 8);
  p[4] = 0;
  p[5] = 0;
  p[6] = 0x01;
  p[7] = 0x40;
  p[8] = 0xDE;
  p[9] = 0xAD;
  p[10] = 0xBE;
  p[11] = 0xEF;
  auto h = parse_rtp_header(p);
  REQUIRE(h);
  CHECK(h->marker);
  CHECK(h->payload_type == 8);
  CHECK(h->sequence == 0x1234);
  CHECK(h->timestamp == 0x140);
  CHECK(h->ssrc == 0xDEADBEEF);
  CHECK(h->header_size == 12);

  // Two CSRCs and a one-word extension.
  p[0] = 0x92;
  p[20] = 0xBE;
  p[21] = 0xDE;
  p[22] = 0x00;
  p[23] = 0x01;
  h = parse_rtp_header(p);
  REQUIRE(h);
  CHECK(h->header_size == 12 + 8 + 4 + 4);

  // Padding: the last octet counts it, itself included.
  p[0] = 0xA0;
  p.back() = 4;
  h = parse_rtp_header(p);
  REQUIRE(h);
  CHECK(h->padding == 4);
}

TEST_CASE("RTP headers that do not hold together are refused") {
  CHECK_FALSE(parse_rtp_header(bytes(11, 0x80)));
  CHECK_FALSE(parse_rtp_header(rtp(0x40)));  // version 1
  CHECK_FALSE(parse_rtp_header(rtp(0x00)));
  CHECK_FALSE(parse_rtp_header(rtp(0x8F, 0, 12 + 14 * 4)));  // 15 CSRCs, room for 14
  CHECK(parse_rtp_header(rtp(0x8F, 0, 12 + 15 * 4)));
  auto ext = rtp(0x90, 0, 16);
  ext[14] = 0x00;
  ext[15] = 0x01;  // one word more than there is
  CHECK_FALSE(parse_rtp_header(ext));
  CHECK_FALSE(parse_rtp_header(rtp(0x90, 0, 14)));  // extension header cut
  auto pad = rtp(0xA0, 0, 20);
  pad.back() = 0;
  CHECK_FALSE(parse_rtp_header(pad));
  pad.back() = 9;  // more than the 8 bytes after the header
  CHECK_FALSE(parse_rtp_header(pad));
  pad.back() = 8;
  CHECK(parse_rtp_header(pad));
}

TEST_CASE("RTCP: version, size and the first length field") {
  CHECK(is_valid_rtcp(bytes{0x80, 201, 0x00, 0x01, 1, 2, 3, 4}));
  CHECK(is_valid_rtcp(bytes{0x80, 201, 0x00, 0x01, 1, 2, 3, 4, 9, 9}));  // compound tail
  CHECK_FALSE(is_valid_rtcp(bytes{0x80, 201, 0x00, 0x02, 1, 2, 3, 4}));
  CHECK_FALSE(is_valid_rtcp(bytes{0x40, 201, 0x00, 0x01, 1, 2, 3, 4}));
  CHECK_FALSE(is_valid_rtcp(bytes{0x80, 201, 0x00, 0x01, 1, 2, 3}));
  CHECK_FALSE(is_valid_rtcp(bytes{}));
}
