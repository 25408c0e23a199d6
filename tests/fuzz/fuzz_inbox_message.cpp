// libFuzzer target for the SIP-INBOX value (usage/inbox_message): any node
// may store bytes there, so the recipient's daemon decodes untrusted input.
// A value that decodes must re-encode to exactly the same bytes.
#include <algorithm>
#include <cstdlib>
#include <span>

#include "usage/inbox_message.hpp"
#include "wire/codec.hpp"

using namespace p2psip;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const auto message = wire::from_bytes<usage::inbox_message>(bytes);
  if (!message) return 0;
  const auto encoded = wire::to_bytes(*message);
  if (!encoded || !std::equal(encoded->begin(), encoded->end(), bytes.begin(), bytes.end()))
    std::abort();
  return 0;
}
