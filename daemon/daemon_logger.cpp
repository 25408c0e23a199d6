#include "daemon/daemon_logger.hpp"

#include <cstdio>
#include <string>

namespace p2psip::daemon {

namespace {
const char* journal_prefix(log_level level) {
  switch (level) {
    case log_level::debug: return "<7>";
    case log_level::info: return "<6>";
    case log_level::notice: return "<5>";
    case log_level::warning: return "<4>";
    case log_level::error: return "<3>";
  }
  return "";
}
}  // namespace

logger logs;

void logger::write(log_level level, std::string_view message) const {
  if (!enabled(level)) return;
  std::fprintf(stderr, "%s%s: %.*s\n", journal_prefix(level), std::string(to_string(level)).c_str(),
               static_cast<int>(message.size()), message.data());
}

link::log_sink link_log_sink() {
  return [](link::log_level level, std::string_view message) {
    switch (level) {
      case link::log_level::debug: logs.write(log_level::debug, message); break;
      case link::log_level::info: logs.write(log_level::info, message); break;
      case link::log_level::warning: logs.write(log_level::warning, message); break;
      case link::log_level::error: logs.write(log_level::error, message); break;
    }
  };
}

}  // namespace p2psip::daemon
