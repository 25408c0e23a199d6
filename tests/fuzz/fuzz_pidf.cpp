// libFuzzer target for the PIDF parser (sip/pidf): any phone or far daemon
// may PUBLISH a document. One that parses must survive being written back
// by make_pidf and read again with the same status and note.
#include <cstdlib>
#include <string_view>

#include "sip/pidf.hpp"

using namespace p2psip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = sip::parse_pidf(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.status) {
    if (parsed.error.empty()) std::abort();
    return 0;
  }
  const auto again = sip::parse_pidf(sip::make_pidf("sip:fuzz@example.com", *parsed.status));
  if (!again.status || again.status->open != parsed.status->open) std::abort();
  return 0;
}
