#include "runtime/logger.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
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

std::string format_log_line(log_level level, std::string_view message, bool to_journal,
                            std::chrono::system_clock::time_point when) {
  std::string line;
  if (to_journal) {
    line = journal_prefix(level);
  } else {
    const auto seconds = std::chrono::system_clock::to_time_t(when);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                            when.time_since_epoch()).count() % 1000;
    std::tm local{};
    ::localtime_r(&seconds, &local);
    char stamp[32];
    const auto n = std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03d ", static_cast<int>(millis));
    line = stamp;
  }
  line.append(to_string(level)).append(": ").append(message).push_back('\n');
  return line;
}

bool stderr_is_journal() noexcept {
  // systemd sets "DEVICE:INODE" of the stream it connected stderr to.
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st{};
  if (stream == nullptr || ::fstat(2, &st) != 0) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  return device == static_cast<unsigned long long>(st.st_dev) &&
         inode == static_cast<unsigned long long>(st.st_ino);
}

void logger::write(log_level level, std::string_view message) const {
  if (!enabled(level)) return;
  static const bool to_journal = stderr_is_journal();
  const auto line =
      format_log_line(level, message, to_journal, std::chrono::system_clock::now());
  std::fwrite(line.data(), 1, line.size(), stderr);
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
