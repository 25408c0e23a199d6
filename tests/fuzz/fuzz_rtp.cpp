// libFuzzer target for what arrives on a media port: classification, the
// RTP and RTCP header checks, and the statistics fed from them. A header
// that parses must lie inside the packet.
#include <chrono>
#include <cstdlib>

#include "media/rtp_classifier.hpp"
#include "media/rtp_stats.hpp"

using namespace p2psip::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static rtp_stats stats;
  static std::chrono::steady_clock::time_point now{};
  const bytes_view packet(data, size);
  now += std::chrono::milliseconds(size % 41);
  switch (classify_packet(packet)) {
    case packet_kind::rtp:
      if (const auto h = parse_rtp_header(packet)) {
        if (h->header_size + h->padding > size) std::abort();
        stats.on_rtp(h->sequence, h->timestamp, size, now);
      }
      break;
    case packet_kind::rtcp:
      if (is_valid_rtcp(packet)) stats.on_rtcp(size, now);
      break;
    default: break;
  }
  const auto snapshot = stats.snapshot();
  if (snapshot.lost > snapshot.expected) std::abort();
  return 0;
}
