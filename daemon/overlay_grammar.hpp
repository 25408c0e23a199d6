// The RELAX NG grammar of RFC 6940 §11.1.1 (daemon/grammar/), against which
// every configuration document is checked: the one p2psip-ca is about to
// serve and each one a daemon fetches or reloads (§11.2: "If the XML is not
// valid ... this configuration file SHOULD be discarded").
#pragma once

#include <optional>
#include <string_view>

#include <libxml/tree.h>

#include "daemon/daemon_config.hpp"

namespace p2psip::daemon {

// The grammar in RELAX NG's XML syntax, as compiled in.
std::string_view rfc6940_config_grammar() noexcept;

// nullopt when `document` follows the grammar; else the first few errors
// libxml2 reports, naming `source`, the line and the elements. Thread-safe.
std::optional<config_error> grammar_violation(xmlDoc* document, std::string_view source);

}  // namespace p2psip::daemon
