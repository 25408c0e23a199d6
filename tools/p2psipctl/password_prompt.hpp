// Asks for a password on the controlling terminal without echoing it, so
// that `p2psipctl enroll user=NAME` keeps it out of the shell's history and
// the process list.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2psip::ctl {

// nullopt when there is no terminal to ask on, or the read failed.
std::optional<std::string> prompt_password(std::string_view prompt);

}  // namespace p2psip::ctl
