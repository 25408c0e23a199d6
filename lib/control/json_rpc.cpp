#include "control/json_rpc.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace p2psip::control {

namespace json = boost::json;

namespace {

std::string to_line(const json::object& message) {
  std::string line = json::serialize(message);
  line += '\n';
  return line;
}

bool is_valid_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64() || id.is_null();
}

rejected_request invalid(json::value id, std::string message) {
  return {std::move(id), make_error("invalid_request", std::move(message))};
}

}  // namespace

std::variant<rpc_request, rejected_request> parse_request(std::string_view line) {
  json::error_code ec;
  json::value parsed = json::parse(line, ec);
  if (ec)
    return rejected_request{nullptr, make_error("parse_error", "invalid JSON: " + ec.message())};
  if (parsed.is_array()) return invalid(nullptr, "batch requests are not supported");
  if (!parsed.is_object()) return invalid(nullptr, "a request must be a JSON object");
  json::object& object = parsed.as_object();

  // Recover the id first so that the other faults can be answered to it.
  json::value id = nullptr;
  const bool has_id = object.contains("id");
  if (has_id) {
    if (!is_valid_id(object.at("id"))) return invalid(nullptr, "id must be a string or an integer");
    id = object.at("id");
  }
  const json::value* version = object.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->as_string() != "2.0") {
    return invalid(id, "jsonrpc must be \"2.0\"");
  }
  const json::value* method = object.if_contains("method");
  if (!method || !method->is_string()) return invalid(id, "method must be a string");
  for (const auto& member : object) {
    const auto key = member.key();
    if (key != "jsonrpc" && key != "id" && key != "method" && key != "params") {
      return invalid(id, "unexpected member \"" + std::string(key) + "\"");
    }
  }
  if (!has_id || id.is_null()) {
    return rejected_request{
        nullptr, make_error("missing_id", "every method answers; send the request with an id")};
  }
  rpc_request request;
  request.id = std::move(id);
  request.method = std::string(method->as_string());
  if (json::value* params = object.if_contains("params")) request.params = std::move(*params);
  return request;
}

std::string encode_request(const json::value& id, std::string_view method, json::object params) {
  return to_line(
      {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
}

std::string encode_result(const json::value& id, json::object result) {
  return to_line({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

std::string encode_error(const json::value& id, const rpc_error& error) {
  return to_line({{"jsonrpc", "2.0"}, {"id", id}, {"error", error.to_json()}});
}

std::string encode_notification(std::string_view method, json::object params) {
  return to_line({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
}

std::variant<rpc_response, rpc_notification, rejected_request> parse_server_message(
    std::string_view line) {
  json::error_code ec;
  json::value parsed = json::parse(line, ec);
  if (ec)
    return rejected_request{nullptr, make_error("parse_error", "invalid JSON: " + ec.message())};
  if (!parsed.is_object()) return invalid(nullptr, "a message must be a JSON object");
  json::object& object = parsed.as_object();
  const json::value* version = object.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->as_string() != "2.0") {
    return invalid(nullptr, "jsonrpc must be \"2.0\"");
  }
  if (const json::value* method = object.if_contains("method")) {
    const json::value* params = object.if_contains("params");
    if (!method->is_string() || (params && !params->is_object())) {
      return invalid(nullptr, "malformed notification");
    }
    return rpc_notification{std::string(method->as_string()),
                            params ? params->as_object() : json::object{}};
  }
  rpc_response response;
  if (const json::value* id = object.if_contains("id")) response.id = *id;
  if (const json::value* result = object.if_contains("result"); result && result->is_object()) {
    response.result = result->as_object();
    return response;
  }
  const json::value* error = object.if_contains("error");
  if (!error || !error->is_object()) return invalid(response.id, "neither result nor error");
  const json::object& fields = error->as_object();
  rpc_error decoded;
  if (const json::value* code = fields.if_contains("code"); code && code->is_int64()) {
    decoded.code = static_cast<int>(code->as_int64());
  }
  if (const json::value* message = fields.if_contains("message"); message && message->is_string()) {
    decoded.message = std::string(message->as_string());
  }
  decoded.name.clear();
  if (const json::value* data = fields.if_contains("data"); data && data->is_object()) {
    decoded.details = data->as_object();
    if (const json::value* name = decoded.details.if_contains("name"); name && name->is_string()) {
      decoded.name = std::string(name->as_string());
    }
    decoded.details.erase("name");
  }
  response.error = std::move(decoded);
  return response;
}

}  // namespace p2psip::control
