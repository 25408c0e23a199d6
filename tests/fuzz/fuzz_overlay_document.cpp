// libFuzzer target for the §11.1 configuration document: the input is the
// XML a configuration server answered with. parse_overlay_document must
// return a document or a config_error with a reason (never throw, never
// crash); a parsed document's signed blobs lie inside the input, and the
// signature check of a parsed document must not crash either.
#include <cstdlib>
#include <string_view>

#include "daemon/overlay_document.hpp"

using namespace p2psip::daemon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_overlay_document(text, "office.example", "fuzz.xml");
  if (!parsed) {
    if (parsed.error().reason.empty() || parsed.error().line < 0) std::abort();
    return 0;
  }
  if (text.find(parsed->configuration.blob) == std::string_view::npos) std::abort();
  for (const auto& kind : parsed->kinds) {
    if (text.find(kind.blob) == std::string_view::npos) std::abort();
  }
  (void)verify_overlay_document(*parsed, {}, std::chrono::system_clock::now());
  return 0;
}
