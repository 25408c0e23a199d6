// libFuzzer target for every message body: the first two bytes pick the
// message code, the rest is the body. Whatever decodes must re-encode to the
// same bytes, since signatures are checked over what was received.
#include <algorithm>
#include <cstdlib>

#include "wire/message_body.hpp"

using namespace p2psip::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto code = static_cast<message_code>((data[0] << 8) | data[1]);
  const bytes_view body(data + 2, size - 2);
  const auto decoded = decode_body(code, body, data_model_lookup(well_known_data_model));
  if (!decoded) return 0;
  const auto reencoded = encode_body(*decoded);
  if (!reencoded || !std::equal(reencoded->begin(), reencoded->end(), body.begin(), body.end())) {
    std::abort();
  }
  return 0;
}
