#include "cli_arguments.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace p2psip::ctl {

namespace json = boost::json;
using control::value_type;

namespace {

constexpr std::array aliases{
    method_alias{"status", "node.status"},      method_alias{"leave", "node.leave"},
    method_alias{"peers", "overlay.peers"},     method_alias{"fingers", "overlay.fingers"},
    method_alias{"route", "overlay.route"},     method_alias{"put", "storage.put"},
    method_alias{"get", "storage.get"},         method_alias{"metrics", "metrics.get"},
    method_alias{"events", "events.subscribe"}, method_alias{"log-level", "log.set_level"},
    method_alias{"reload", "config.reload"},    method_alias{"registrations", "sip.registrations"},
    method_alias{"lookup", "sip.lookup"},       method_alias{"calls", "sip.dialogs"},
    method_alias{"message", "sip.message"},     method_alias{"relays", "relay.allocations"},
    method_alias{"messages", "sip.register"},   method_alias{"presence", "sip.presence"},
    method_alias{"call", "sip.call"},           method_alias{"hangup", "sip.hangup"},
    method_alias{"watch", "storage.watch"},     method_alias{"enroll", "node.enroll"},
};

std::optional<double> parse_seconds(std::string_view text) {
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || !(seconds >= 0) || seconds > 1e7) {
    return std::nullopt;
  }
  return seconds;
}

std::variant<json::value, usage_error> typed_scalar(const control::param_schema& param,
                                                    value_type type, std::string_view text) {
  const auto wrong = [&](std::string_view wanted) {
    return usage_error{param.name + " wants " + std::string(wanted) + ", not '" +
                       std::string(text) + "'"};
  };
  switch (type) {
    case value_type::string: return json::value(json::string(text));
    case value_type::integer: {
      std::int64_t number = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (ec != std::errc() || end != text.data() + text.size()) return wrong("an integer");
      return json::value(number);
    }
    case value_type::number: {
      double number = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(number)) {
        return wrong("a number");
      }
      return json::value(number);
    }
    case value_type::boolean:
      if (text == "true" || text == "yes" || text == "on" || text == "1") return json::value(true);
      if (text == "false" || text == "no" || text == "off" || text == "0")
        return json::value(false);
      return wrong("true or false");
    case value_type::object:
    case value_type::array: {
      json::error_code ec;
      json::value parsed = json::parse(text, ec);
      const bool fits = type == value_type::object ? parsed.is_object() : parsed.is_array();
      if (ec || !fits) return wrong(type == value_type::object ? "a JSON object" : "a JSON array");
      return parsed;
    }
  }
  return wrong("a value");
}

}  // namespace

std::span<const method_alias> method_aliases() { return aliases; }

std::string resolve_alias(std::string_view word) {
  for (const auto& entry : aliases) {
    if (entry.alias == word) return std::string(entry.method);
  }
  return std::string(word);
}

std::string default_socket_path(const environment_lookup& getenv) {
  const auto set = [&](const char* name) -> const char* {
    const char* value = getenv(name);
    return value && *value ? value : nullptr;
  };
  if (const char* explicit_path = set("P2PSIP_SOCKET")) return explicit_path;
  if (const char* runtime = set("RUNTIME_DIRECTORY")) {
    // systemd may list several directories, separated by colons; ours is first.
    return std::string(runtime).substr(0, std::string_view(runtime).find(':')) + "/control.sock";
  }
  if (const char* xdg = set("XDG_RUNTIME_DIR")) return std::string(xdg) + "/p2psipd/control.sock";
  return "/run/p2psipd/control.sock";
}

std::variant<json::value, usage_error> typed_value(const control::param_schema& param,
                                                   std::string_view text) {
  // Arrays may be given as JSON or as a comma-separated list: topics=peer.up,peer.down
  if (param.type == value_type::array && !text.starts_with('[')) {
    json::array items;
    const value_type item_type = param.item_type.value_or(value_type::string);
    while (!text.empty()) {
      const std::size_t comma = text.find(',');
      auto item = typed_scalar(param, item_type, text.substr(0, comma));
      if (auto* error = std::get_if<usage_error>(&item)) return *error;
      items.push_back(std::move(std::get<json::value>(item)));
      text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return json::value(std::move(items));
  }
  return typed_scalar(param, param.type, text);
}

namespace {

// A method this CLI has no schema for (a newer daemon's, subsystem.verb) is
// still sent: each value as the JSON literal it spells (42, true, [1,2],
// "quoted"), else as a string; the daemon validates it.
std::variant<invocation, usage_error> untyped_call(invocation command,
                                                   std::span<const std::string_view> words) {
  const auto dot = command.method.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == command.method.size())
    return usage_error{"unknown method " + command.method};
  for (const auto word : words.subspan(1)) {
    const std::size_t equals = word.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return usage_error{"expected key=value, got '" + std::string(word) + "'"};
    }
    const std::string_view text = word.substr(equals + 1);
    boost::system::error_code ec;
    json::value literal = json::parse(text, ec);
    command.params[word.substr(0, equals)] = ec ? json::value(text) : std::move(literal);
  }
  return command;
}

}  // namespace

std::variant<invocation, usage_error> parse_arguments(std::span<const std::string_view> args,
                                                      const control::schema_catalog& catalog,
                                                      const environment_lookup& getenv) {
  invocation command;
  std::optional<std::string> socket_option;
  std::vector<std::string_view> words;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto option_value = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (options_ended || !arg.starts_with("-")) {
      words.push_back(arg);
    } else if (arg == "--") {
      options_ended = true;
    } else if (arg == "--help" || arg == "-h") {
      command.kind = command_kind::help;
    } else if (arg == "--version") {
      command.kind = command_kind::version;
    } else if (arg == "--json") {
      command.json_output = true;
    } else if (arg == "--prometheus") {
      command.prometheus = true;
    } else if (arg == "--socket") {
      const auto value = option_value();
      if (!value || value->empty()) return usage_error{"--socket needs a path"};
      socket_option = std::string(*value);
    } else if (arg == "--timeout") {
      const auto value = option_value();
      const auto seconds = value ? parse_seconds(*value) : std::nullopt;
      if (!seconds) return usage_error{"--timeout needs a number of seconds"};
      command.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*seconds * 1000));
    } else if (arg == "--completion") {
      const auto value = option_value();
      if (!value || *value != "bash") return usage_error{"--completion supports: bash"};
      command.kind = command_kind::completion;
    } else {
      return usage_error{"unknown option " + std::string(arg)};
    }
  }
  command.socket_path = socket_option ? *socket_option : default_socket_path(getenv);
  if (command.kind != command_kind::call) {
    if (command.kind == command_kind::help && !words.empty())
      command.method = resolve_alias(words[0]);
    return command;
  }
  if (words.empty()) return usage_error{"no method given"};
  if (words[0] == "help") {
    command.kind = command_kind::help;
    if (words.size() > 1) command.method = resolve_alias(words[1]);
    return command;
  }
  if (words[0] == "wait") {
    if (words.size() != 2 || words[1] != "joined")
      return usage_error{"usage: wait joined --timeout S"};
    command.kind = command_kind::wait_joined;
    return command;
  }
  command.method = resolve_alias(words[0]);
  const control::method_schema* schema = catalog.find(command.method);
  if (!schema) return untyped_call(std::move(command), words);
  if (command.prometheus) {
    if (command.method != "metrics.get") return usage_error{"--prometheus goes with metrics"};
    command.params["format"] = "prometheus";
  }
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string_view word = words[i];
    const std::size_t equals = word.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return usage_error{"expected key=value, got '" + std::string(word) + "'"};
    }
    const std::string_view key = word.substr(0, equals);
    const control::param_schema* param = schema->find_param(key);
    if (!param) {
      return usage_error{command.method + " takes no parameter '" + std::string(key) + "'"};
    }
    auto value = typed_value(*param, word.substr(equals + 1));
    if (auto* error = std::get_if<usage_error>(&value)) return *error;
    command.params[key] = std::move(std::get<json::value>(value));
  }
  // The server would refuse the same way; catching it here makes it a usage error.
  auto validated = control::validate_params(*schema, command.params);
  if (auto* error = std::get_if<control::rpc_error>(&validated)) return usage_error{error->message};
  return command;
}

std::string usage_text(const control::schema_catalog& catalog) {
  std::ostringstream out;
  out << "usage: p2psipctl [--socket PATH] [--json] [--timeout S] METHOD [key=value ...]\n"
         "       p2psipctl wait joined --timeout S\n"
         "       p2psipctl metrics --prometheus\n"
         "       p2psipctl help [METHOD]\n"
         "       p2psipctl --completion bash\n\n"
         "Talks to p2psipd's control socket (--socket, else $P2PSIP_SOCKET, else\n"
         "$RUNTIME_DIRECTORY/control.sock, else $XDG_RUNTIME_DIR/p2psipd/control.sock,\n"
         "else /run/p2psipd/control.sock).\n"
         "Exit status: 0 ok, 1 the daemon returned an error, 2 the daemon is unreachable,\n"
         "3 usage.\n\nmethods:\n";
  for (const auto& [name, schema] : catalog.methods()) {
    std::string label = name;
    for (const auto& entry : aliases) {
      if (entry.method == name) label += " (" + std::string(entry.alias) + ")";
    }
    out << "  " << label << std::string(label.size() < 34 ? 34 - label.size() : 1, ' ')
        << schema.summary << '\n';
  }
  return out.str();
}

std::string method_help_text(const control::method_schema& schema) {
  std::ostringstream out;
  out << schema.name << ": " << schema.summary << " (" << control::to_string(schema.access)
      << ")\n";
  if (schema.params.empty()) out << "  no parameters\n";
  for (const auto& param : schema.params) {
    out << "  " << param.name << '=' << control::to_string(param.type)
        << (param.required ? " (required)" : "");
    if (param.default_value) out << " [default " << json::serialize(*param.default_value) << ']';
    if (!param.one_of.empty()) {
      out << " one of:";
      for (const auto& choice : param.one_of) out << ' ' << choice;
    }
    out << "\n      " << param.description << '\n';
  }
  return out.str();
}

}  // namespace p2psip::ctl
