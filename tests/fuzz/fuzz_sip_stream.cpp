// libFuzzer target for the SIP stream framer between daemons: fed in random
// pieces, it passes on exactly the bytes it was given less the keepalive
// CRLFs (two bytes each), or stops at a malformed header block for good.
#include <cstdlib>

#include "usage/sip_stream_framer.hpp"

using p2psip::usage::sip_stream_framer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  sip_stream_framer framer;
  std::size_t passed = 0;
  std::size_t crlfs = 0;
  framer.on_message_bytes = [&](p2psip::wire::bytes_view bytes) { passed += bytes.size(); };
  framer.on_keepalive = [&](std::size_t n) { crlfs += n; };
  // The first byte chooses the piece size, so splits land everywhere.
  const std::size_t piece = 1 + data[0] % 17;
  std::size_t fed = 0;
  for (std::size_t at = 1; at < size; at += piece) {
    const auto n = std::min(piece, size - at);
    if (!framer.feed(p2psip::wire::bytes_view(data + at, n))) {
      if (!framer.failed()) std::abort();
      return 0;
    }
    fed += n;
  }
  // A CR waiting for its LF is neither passed nor a keepalive yet.
  const std::size_t held = framer.at_boundary() ? 0 : 1;
  if (passed + 2 * crlfs > fed || passed + 2 * crlfs + held < fed) std::abort();
  return 0;
}
