// p2psipctl's command line: aliases, socket path, and key=value arguments
// typed and checked against the method schemas before anything is sent.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "control/method_schema.hpp"

namespace p2psip::ctl {

enum exit_code : int { exit_ok = 0, exit_daemon_error = 1, exit_unreachable = 2, exit_usage = 3 };

struct method_alias {
  std::string_view alias;
  std::string_view method;
};
std::span<const method_alias> method_aliases();
// The method an alias stands for, or `word` itself.
std::string resolve_alias(std::string_view word);

using environment_lookup = std::function<const char*(const char* name)>;

// $P2PSIP_SOCKET, else $RUNTIME_DIRECTORY/control.sock (systemd), else
// $XDG_RUNTIME_DIR/p2psipd/control.sock, else /run/p2psipd/control.sock.
std::string default_socket_path(const environment_lookup& getenv);

enum class command_kind { call, help, completion, wait_joined, version };

struct invocation {
  command_kind kind = command_kind::call;
  std::string socket_path;
  bool json_output = false;
  bool prometheus = false;  // metrics --prometheus
  std::optional<std::chrono::milliseconds> timeout;
  std::string method;  // canonical name; for help, the method asked about (may be empty)
  boost::json::object params;
};

struct usage_error {
  std::string message;
};

std::variant<invocation, usage_error> parse_arguments(std::span<const std::string_view> args,
                                                      const control::schema_catalog& catalog,
                                                      const environment_lookup& getenv);

// One key=value argument typed by the parameter's schema.
std::variant<boost::json::value, usage_error> typed_value(const control::param_schema& param,
                                                          std::string_view text);

std::string usage_text(const control::schema_catalog& catalog);
std::string method_help_text(const control::method_schema& schema);

}  // namespace p2psip::ctl
