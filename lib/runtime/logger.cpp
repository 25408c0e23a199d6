#include "runtime/logger.hpp"

#include <cstdio>
#include <string>

namespace p2psip::runtime {

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

std::string_view to_string(log_level level) noexcept {
  switch (level) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::notice: return "notice";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "info";
}

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
  for (auto level : {log_level::debug, log_level::info, log_level::notice, log_level::warning,
                     log_level::error}) {
    if (to_string(level) == text) return level;
  }
  return std::nullopt;
}

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

}  // namespace p2psip::runtime
