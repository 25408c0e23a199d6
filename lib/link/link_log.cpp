#include "link/link_log.hpp"

#include <iostream>

namespace p2psip::link {

const char* to_string(log_level level) noexcept {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "?";
}

log_sink stderr_log_sink() {
  return [](log_level level, std::string_view message) {
    std::clog << "link " << to_string(level) << ": " << message << '\n';
  };
}

}  // namespace p2psip::link
