// The link layer's injected log sink: reasons for closed links and security
// warnings go here, so the daemon and the tests decide where they end up.
#pragma once

#include <functional>
#include <string_view>

namespace p2psip::link {

enum class log_level { debug, info, warning, error };

const char* to_string(log_level level) noexcept;

using log_sink = std::function<void(log_level, std::string_view message)>;

// Writes "link <level>: <message>" lines to stderr.
log_sink stderr_log_sink();

}  // namespace p2psip::link
