// JSON-RPC error codes and the error value every layer of the control plane
// returns. Codes follow JSON-RPC 2.0 for protocol faults and use one band of
// ten per subsystem for the rest; `name` is what scripts should match on,
// because it stays stable when messages are reworded.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace p2psip::control {

namespace error_code {
// JSON-RPC 2.0.
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
// Control plane itself.
inline constexpr int permission_denied = -32001;
inline constexpr int server_limit = -32002;  // too many connections or bytes held
// Subsystem bands: node -32010.., overlay -32020.., storage -32030.., sip -32040..,
// relay -32050..; all inside JSON-RPC's server-error range, -32099..-32000.
inline constexpr int node_not_joined = -32010;
inline constexpr int node_leaving = -32011;
// node.enroll: the causes first-start enrollment names (p2psipd(8)).
inline constexpr int node_ca_unreachable = -32012;
inline constexpr int node_wrong_password = -32013;
inline constexpr int node_token_used = -32014;
inline constexpr int node_csr_refused = -32015;
inline constexpr int node_root_mismatch = -32016;
inline constexpr int node_enrollment_failed = -32017;
inline constexpr int overlay_no_route = -32020;
inline constexpr int overlay_timeout = -32021;
inline constexpr int overlay_peer_error = -32022;
inline constexpr int storage_not_found = -32030;
inline constexpr int storage_denied = -32031;
inline constexpr int storage_too_large = -32032;
inline constexpr int sip_not_registered = -32040;
inline constexpr int sip_delivery_failed = -32041;
inline constexpr int sip_aor_not_allowed = -32042;
inline constexpr int sip_call_failed = -32045;
inline constexpr int sip_no_such_call = -32046;
inline constexpr int relay_off = -32050;
}  // namespace error_code

struct rpc_error {
  int code = error_code::internal_error;
  std::string name = "internal_error";  // goes to data.name
  std::string message;
  boost::json::object details;  // extra members of `data` besides `name`

  // The `error` member of a response: {"code","message","data":{"name",...}}.
  boost::json::object to_json() const;
};

// One row of the table of known errors, for rpc.help and the man page.
struct error_description {
  int code;
  std::string_view name;
  std::string_view meaning;
};
std::span<const error_description> known_errors();

// A known error by name, with its registered code; throws std::logic_error
// for a name missing from known_errors() so typos fail loudly in tests.
rpc_error make_error(std::string_view name, std::string message, boost::json::object details = {});

}  // namespace p2psip::control
