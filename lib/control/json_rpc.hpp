// JSON-RPC 2.0 framing for the control socket: one compact JSON object per
// line, in both directions. Parsing never throws; whatever is wrong with a
// line comes back as the error to answer it with.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "control/rpc_error.hpp"

namespace p2psip::control {

struct rpc_request {
  boost::json::value id;  // a string or an integer
  std::string method;
  boost::json::value params;  // as sent: null when absent; schemas decide the rest
};

// A line that cannot be served. `id` is the request's own when it could be
// read, else null, as JSON-RPC 2.0 §5 asks.
struct rejected_request {
  boost::json::value id;
  rpc_error error;
};

std::variant<rpc_request, rejected_request> parse_request(std::string_view line);

// Each encoder returns one line, newline included.
std::string encode_request(const boost::json::value& id, std::string_view method,
                           boost::json::object params);
std::string encode_result(const boost::json::value& id, boost::json::object result);
std::string encode_error(const boost::json::value& id, const rpc_error& error);
std::string encode_notification(std::string_view method, boost::json::object params);

// What a client reads: an answer to one of its requests, or a notification.
struct rpc_response {
  boost::json::value id;
  std::optional<boost::json::object> result;  // exactly one of result and error
  std::optional<rpc_error> error;
};
struct rpc_notification {
  std::string method;
  boost::json::object params;
};
std::variant<rpc_response, rpc_notification, rejected_request> parse_server_message(
    std::string_view line);

}  // namespace p2psip::control
