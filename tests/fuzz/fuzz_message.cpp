// libFuzzer target for whole RELOAD messages. Whatever decodes must re-encode
// to the same bytes (the codec is canonical, which signature checks over
// re-encoded contents rely on) and decode again to an equal value; the
// forwarding path must accept the same input and rebuild it unchanged; a
// body that decodes must re-encode to the same bytes too.
#include <algorithm>
#include <cstdlib>

#include "wire/message.hpp"
#include "wire/message_body.hpp"

using namespace p2psip::wire;

namespace {
constexpr std::size_t max_message_size = 65536;

void require(bool condition) {
  if (!condition) std::abort();
}

bool same_bytes(const std::vector<std::uint8_t>& a, bytes_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view input(data, size);
  auto decoded = decode_message(input, max_message_size);
  auto forwarded = decode_forwarding_part(input, max_message_size);
  if (!decoded) return 0;

  auto reencoded = to_bytes(*decoded);
  require(reencoded.has_value());
  require(same_bytes(*reencoded, input));
  auto again = decode_message(*reencoded, max_message_size);
  require(again.has_value());
  require(*again == *decoded);

  require(forwarded.has_value());
  require(forwarded->header == decoded->header);
  auto rebuilt = encode_forwarded(forwarded->header, forwarded->payload);
  require(rebuilt.has_value());
  require(same_bytes(*rebuilt, input));

  // The body, as a receiver would parse it after verifying the signature.
  const auto body = decode_body(decoded->contents.code, decoded->contents.body,
                                data_model_lookup(well_known_data_model));
  if (body) {
    const auto body_bytes = encode_body(*body);
    require(body_bytes.has_value() && *body_bytes == decoded->contents.body);
  }
  return 0;
}
