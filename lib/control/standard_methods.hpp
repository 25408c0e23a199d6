// The daemon's control methods. Adding a method is one entry in
// standard_methods.cpp plus one control_server::handle() call in the daemon.
#pragma once

#include <span>
#include <string_view>

#include "control/method_schema.hpp"

namespace p2psip::control {

schema_catalog standard_catalog();

// Event topics the daemon publishes; documentation and completion only, since
// subscribers may also name topics added later.
std::span<const std::string_view> standard_event_topics();

// Log levels accepted by log.set_level, most verbose first.
std::span<const std::string_view> log_levels();

}  // namespace p2psip::control
