// libFuzzer target for a=crypto values and a=candidate values: what parses
// formats into text that parses to the same value.
#include <cstdlib>
#include <string_view>

#include "media/sdes_crypto.hpp"
#include "media/sdp_candidate.hpp"

using namespace p2psip::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto crypto = parse_sdes_crypto(text)) {
    const auto again = parse_sdes_crypto(format_sdes_crypto(*crypto));
    if (!again || !(*again == *crypto)) std::abort();
  }
  if (const auto candidate = parse_sdp_candidate(text)) {
    if (parse_sdp_candidate(format_sdp_candidate(*candidate)) != candidate) std::abort();
  }
  return 0;
}
