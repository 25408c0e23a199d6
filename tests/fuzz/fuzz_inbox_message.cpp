// libFuzzer target for the SIP-INBOX value (usage/inbox_message): any node
// may store bytes there, so the recipient's daemon decodes untrusted input.
// A value that decodes must re-encode to exactly the same bytes. A sealed
// (version 2) one is opened too, with a fixed recipient key: the CMS
// parser reads anyone's bytes as well, and must refuse what is not for it.
#include <algorithm>
#include <cstdlib>
#include <span>

#include "identity/self_signed.hpp"
#include "usage/inbox_message.hpp"
#include "wire/codec.hpp"

using namespace p2psip;

namespace {

struct recipient {
  identity::key_pair key;
  identity::node_certificate certificate;
};

const recipient& fixed_recipient() {
  static const recipient r = [] {
    auto key = identity::key_pair::generate();
    if (!key) std::abort();
    auto certificate = identity::make_self_signed_certificate(
        *key, {.overlay = "fuzz.test", .user_name = "bob@fuzz.test"},
        std::chrono::system_clock::now());
    if (!certificate) std::abort();
    return recipient{std::move(*key), std::move(*certificate)};
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const auto message = wire::from_bytes<usage::inbox_message>(bytes);
  if (!message) return 0;
  const auto encoded = wire::to_bytes(*message);
  if (!encoded || !std::equal(encoded->begin(), encoded->end(), bytes.begin(), bytes.end()))
    std::abort();
  if (!message->sealed.empty()) {
    std::string why;
    // Sealed to a random key, not this one: fuzzed bytes never open.
    if (usage::open(*message, fixed_recipient().key, fixed_recipient().certificate, why))
      std::abort();
  }
  return 0;
}
