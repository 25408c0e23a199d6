#include "control/rpc_docs.hpp"

#include <cmath>
#include <sstream>

#include <boost/json/serialize.hpp>

#include "control/control_server.hpp"
#include "control/standard_methods.hpp"

namespace p2psip::control {

namespace json = boost::json;

namespace {

json::value bound(double value) {
  // Integral bounds print as integers, so help reads "maximum": 1024.
  if (std::trunc(value) == value && std::abs(value) < 9.0e15) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

std::string_view format_name(string_format format) {
  switch (format) {
    case string_format::any: return "";
    case string_format::hex_id: return "hex-id";
    case string_format::hex_id_or_name: return "hex-id-or-name";
  }
  return "";
}

json::object describe_param(const param_schema& param) {
  json::object out{{"name", param.name},
                   {"type", to_string(param.type)},
                   {"required", param.required},
                   {"description", param.description}};
  if (param.default_value) out["default"] = *param.default_value;
  if (param.minimum) out["minimum"] = bound(*param.minimum);
  if (param.maximum) out["maximum"] = bound(*param.maximum);
  if (!param.one_of.empty()) {
    json::array choices;
    for (const auto& choice : param.one_of) choices.emplace_back(choice);
    out["one_of"] = std::move(choices);
  }
  if (param.format != string_format::any) out["format"] = format_name(param.format);
  if (param.item_type) out["items"] = to_string(*param.item_type);
  return out;
}

json::array describe_errors() {
  json::array out;
  for (const auto& error : known_errors()) {
    out.push_back(
        json::object{{"code", error.code}, {"name", error.name}, {"meaning", error.meaning}});
  }
  return out;
}

// Roff text: a leading dot or quote would start a request, and a backslash
// an escape sequence; hyphens become minus signs so they copy and paste.
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

// "1 MiB" for whole mebibytes, else the count of bytes.
std::string in_bytes(std::size_t bytes) {
  constexpr std::size_t mebibyte = 1 << 20;
  if (bytes % mebibyte == 0) return std::to_string(bytes / mebibyte) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string constraints(const param_schema& param) {
  std::string out(to_string(param.type));
  if (param.type == value_type::array && param.item_type) {
    out += " of ";
    out += to_string(*param.item_type);
  }
  out += param.required ? ", required" : ", optional";
  if (param.default_value) out += ", default " + json::serialize(*param.default_value);
  const std::string_view measure = param.type == value_type::string  ? " length"
                                   : param.type == value_type::array ? " count"
                                                                     : "";
  if (param.minimum)
    out += ", min" + std::string(measure) + " " + json::serialize(bound(*param.minimum));
  if (param.maximum)
    out += ", max" + std::string(measure) + " " + json::serialize(bound(*param.maximum));
  if (!param.one_of.empty()) {
    out += ", one of:";
    for (const auto& choice : param.one_of) out += " " + choice;
  }
  if (param.format != string_format::any) out += ", " + std::string(format_name(param.format));
  return out;
}

void render_method(std::ostringstream& page, const method_schema& schema) {
  page << ".SS " << roff(schema.name) << "\n"
       << roff(schema.summary) << ".\n"
       << "Access: " << roff(to_string(schema.access)) << ".\n";
  page << ".PP\nParameters:";
  if (schema.params.empty()) page << " none.";
  page << "\n";
  for (const auto& param : schema.params) {
    page << ".TP\n.B " << roff(param.name) << "\n"
         << "(" << roff(constraints(param)) << ")\n"
         << roff(param.description) << ".\n";
  }
  page << ".PP\nResult members:\n";
  for (const auto& field : schema.result) {
    page << ".TP\n.B " << roff(field.name) << "\n"
         << "(" << roff(to_string(field.type)) << ")\n"
         << roff(field.description) << ".\n";
  }
  if (!schema.notes.empty()) page << ".PP\n" << roff(schema.notes) << "\n";
}

}  // namespace

json::object describe_method(const method_schema& schema) {
  json::array params;
  for (const auto& param : schema.params) params.push_back(describe_param(param));
  json::array result;
  for (const auto& field : schema.result) {
    result.push_back(json::object{
        {"name", field.name}, {"type", to_string(field.type)}, {"description", field.description}});
  }
  json::object out{{"name", schema.name},
                   {"summary", schema.summary},
                   {"access", to_string(schema.access)},
                   {"params", std::move(params)},
                   {"result", std::move(result)}};
  if (!schema.notes.empty()) out["notes"] = schema.notes;
  return out;
}

std::variant<json::object, rpc_error> rpc_help(const schema_catalog& catalog,
                                               std::optional<std::string_view> method) {
  json::array methods;
  if (method) {
    const method_schema* schema = catalog.find(*method);
    if (!schema) {
      return make_error("unknown_method", "no method named " + std::string(*method),
                        {{"param", "method"}});
    }
    methods.push_back(describe_method(*schema));
  } else {
    for (const auto& [name, schema] : catalog.methods()) methods.push_back(describe_method(schema));
  }
  return json::object{{"methods", std::move(methods)}, {"errors", describe_errors()}};
}

std::string render_rpc_man_page(const schema_catalog& catalog, std::string_view version) {
  std::ostringstream page;
  page << ".\\\" Generated from the method schemas in lib/control; do not edit.\n"
       << ".TH P2PSIP\\-RPC 7 \"\" \"p2psip " << roff(version) << "\" \"p2psip manual\"\n"
       << ".SH NAME\n"
       << "p2psip\\-rpc \\- the JSON\\-RPC 2.0 control protocol of p2psipd\n"
       << ".SH DESCRIPTION\n"
       << ".BR p2psipd (8)\n"
       << "answers JSON\\-RPC 2.0 requests on a Unix stream socket, by default\n"
       << ".IR $RUNTIME_DIRECTORY/control.sock\n"
       << "under systemd and\n"
       << ".I $XDG_RUNTIME_DIR/p2psipd/control.sock\n"
       << "otherwise.\n"
       << "Each message is one compact JSON object on one line, ended by a newline.\n"
       << "Methods are named\n"
       << ".IR subsystem . verb ,\n"
       << "take named parameters only (params is an object; an array is refused),\n"
       << "and always return an object.\n"
       << "Every request needs an id; notifications and batches are refused.\n"
       << "Requests may be pipelined; answers can arrive out of order and carry the id.\n"
       << ".PP\n"
       << "A line that is not JSON is answered with\n"
       << ".B parse_error\n"
       << "and the connection stays usable.\n"
       << ".PP\n"
       << "Example exchange:\n"
       << ".PP\n.nf\n.RS\n"
       << roff(R"({"jsonrpc":"2.0","id":1,"method":"storage.get","params":{"key":"alice"}})")
       << "\n"
       << roff(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32030,)") << "\n"
       << roff(R"(  "message":"nothing stored","data":{"name":"not_found"}}})") << "\n"
       << ".RE\n.fi\n"
       << ".SH LIMITS\n"
       << "What is over a limit is answered with one error line (id null) and the\n"
       << "connection is closed; other connections are not affected.\n";
  const control_server_config defaults;
  page << ".IP \\(bu 2\n"
       << "A request line longer than " << roff(in_bytes(defaults.max_line_bytes))
       << " is answered with\n"
       << ".BR request_too_large ;\n"
       << "data.limit is the limit in bytes.\n"
       << ".IP \\(bu 2\n"
       << "At most " << defaults.max_connections << " connections are served at once.\n"
       << "A further one takes the place of the connection that has sent nothing for the\n"
       << "longest, which is answered with\n"
       << ".BR too_many_connections ;\n"
       << "if every connection has sent a request, the new one is answered so instead.\n"
       << ".IP \\(bu 2\n"
       << "Unfinished request lines and unsent answers of all connections together\n"
       << "are held up to " << roff(in_bytes(defaults.max_buffered_bytes)) << ";\n"
       << "past that the connection holding the most is answered with\n"
       << ".B buffer_limit\n"
       << "(if its socket takes the line at once).\n"
       << ".PP\n"
       << "A client that does not read its answers is not read either while\n"
       << roff(in_bytes(defaults.max_queued_response_bytes)) << " of answers or "
       << defaults.max_requests_in_flight << " requests wait;\n"
       << "an event subscriber's queue holds at most " << defaults.event_queue_limit
       << " events, and\n"
       << ".B events.lost\n"
       << "then says how many were dropped.\n"
       << ".SH PERMISSIONS\n"
       << "The server reads the caller's credentials with SO_PEERCRED.\n"
       << "Read\\-only methods are open to root, the daemon's own user and members of the\n"
       << "socket's group (primary or supplementary).\n"
       << "State\\-changing methods are open to root, the daemon's own user and members of\n"
       << "the configured admin group.\n"
       << "Every refusal is answered with\n"
       << ".BR permission_denied .\n"
       << ".SH METHODS\n";
  for (const auto& [name, schema] : catalog.methods()) render_method(page, schema);
  page << ".SH EVENTS\n"
       << "Event notifications have method\n"
       << ".B event\n"
       << "and params holding\n"
       << ".B topic\n"
       << "and the members of that event.\n"
       << "Topics published by the daemon:\n";
  for (const auto topic : standard_event_topics()) page << ".IP \\(bu 2\n" << roff(topic) << "\n";
  page << ".SH ERRORS\n"
       << "An error's\n"
       << ".B data.name\n"
       << "is stable; match on it rather than on the message.\n"
       << "Codes from \\-32700 to \\-32600 are JSON\\-RPC's own; \\-32001 is a permission refusal\n"
       << "and \\-32002 a server limit (see LIMITS);\n"
       << "the daemon's subsystems use bands of ten: node from \\-32010, overlay from \\-32020,\n"
       << "storage from \\-32030, SIP from \\-32040 and the relay from \\-32050, all within\n"
       << "JSON\\-RPC's range for server errors (\\-32099 to \\-32000).\n";
  for (const auto& error : known_errors()) {
    page << ".TP\n.B " << roff(error.name) << "\n"
         << "(" << roff(std::to_string(error.code)) << ") " << roff(error.meaning) << ".\n";
  }
  page << ".SH SEE ALSO\n"
       << ".BR p2psipctl (1),\n"
       << ".BR p2psipd (8),\n"
       << ".BR p2psipd.yaml (5)\n";
  return page.str();
}

}  // namespace p2psip::control
