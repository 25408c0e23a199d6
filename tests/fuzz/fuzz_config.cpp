// libFuzzer target for p2psipd's configuration: the input is the text of a
// p2psipd.yaml(5) file. parse_config must return a config or a config_error
// (never throw, never crash), and an error must carry a reason and a sane
// position. Certificate and key files named by the document are not opened
// (check_files = false): the fuzzer must not read arbitrary paths.
#include <cstdlib>
#include <string_view>

#include "daemon/daemon_config.hpp"

using namespace p2psip::daemon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  parse_options options;
  options.base_dir = "/nonexistent-fuzz-config-dir";
  options.check_files = false;
  const auto parsed = parse_config(text, "fuzz.yaml", options);
  if (!parsed) {
    const config_error& error = parsed.error();
    if (error.reason.empty() || error.line < 0 || error.column < 0) std::abort();
    (void)error.describe();
  }
  return 0;
}
