#include "control/rpc_error.hpp"

#include <array>
#include <stdexcept>

namespace p2psip::control {

boost::json::object rpc_error::to_json() const {
  boost::json::object data = details;
  data["name"] = name;
  return {{"code", code}, {"message", message}, {"data", std::move(data)}};
}

namespace {
namespace ec = error_code;
constexpr std::array errors{
    error_description{ec::parse_error, "parse_error", "the line is not valid JSON"},
    error_description{ec::invalid_request, "invalid_request",
                      "not a JSON-RPC 2.0 request object (batches are not supported)"},
    error_description{ec::invalid_request, "missing_id",
                      "a request without an id; every method answers, so notifications are "
                      "refused"},
    error_description{ec::invalid_request, "request_too_large",
                      "the line exceeds the server's limit; the connection is then closed"},
    error_description{ec::method_not_found, "method_not_found", "no method of that name"},
    error_description{ec::method_not_found, "not_implemented",
                      "the method is known but this daemon does not serve it yet"},
    error_description{ec::invalid_params, "positional_params",
                      "params is an array; only named parameters are accepted"},
    error_description{ec::invalid_params, "invalid_params", "params is not an object"},
    error_description{ec::invalid_params, "missing_param", "a required parameter is absent"},
    error_description{ec::invalid_params, "unknown_param", "a parameter the method does not take"},
    error_description{ec::invalid_params, "wrong_type", "a parameter has the wrong JSON type"},
    error_description{ec::invalid_params, "out_of_range",
                      "a number or a length is outside the allowed range"},
    error_description{ec::invalid_params, "not_in_enum", "a value outside the allowed set"},
    error_description{ec::invalid_params, "bad_format",
                      "a string that does not have the required form"},
    error_description{ec::invalid_params, "unknown_method",
                      "rpc.help was asked about a method that does not exist"},
    error_description{ec::internal_error, "internal_error",
                      "the daemon failed while handling the request"},
    error_description{ec::permission_denied, "permission_denied",
                      "the caller's uid and groups do not allow this method"},
    error_description{ec::server_limit, "too_many_connections",
                      "the server has its maximum of control connections: this one (a new one, "
                      "or the one silent the longest) is closed"},
    error_description{ec::server_limit, "buffer_limit",
                      "the connections together hold more unread input and unsent answers than "
                      "the server allows; the one holding the most is closed"},
    error_description{ec::node_not_joined, "not_joined", "the node has not joined the overlay"},
    error_description{ec::node_leaving, "leaving", "the node is leaving the overlay"},
    error_description{ec::node_ca_unreachable, "ca_unreachable",
                      "the enrollment server could not be reached; nothing was changed"},
    error_description{ec::node_wrong_password, "wrong_password",
                      "the CA refused the credentials: wrong password, or unknown user or token"},
    error_description{ec::node_token_used, "token_used", "the one-time token was used already"},
    error_description{ec::node_csr_refused, "csr_refused",
                      "the CA refused the certificate request (user name, Node-IDs, CSR)"},
    error_description{ec::node_root_mismatch, "root_mismatch",
                      "the token's root, or the certificate issued, is not the overlay's root"},
    error_description{ec::node_enrollment_failed, "enrollment_failed",
                      "no enrollment possible: no enrollment server or configuration document, "
                      "or the state directory could not be written"},
    error_description{ec::overlay_no_route, "no_route", "no route towards the destination"},
    error_description{ec::overlay_timeout, "timeout", "the overlay did not answer in time"},
    error_description{ec::overlay_peer_error, "peer_error", "the remote peer answered an error"},
    error_description{ec::storage_not_found, "not_found", "nothing is stored under that key"},
    error_description{ec::storage_denied, "access_denied",
                      "the kind's access-control policy refuses the store"},
    error_description{ec::storage_too_large, "too_large", "the value exceeds the kind's limit"},
    error_description{ec::sip_not_registered, "not_registered", "no registration for that AOR"},
    error_description{ec::server_limit, "too_many_watches",
                      "the node holds its maximum of storage.watch watches"},
    error_description{ec::invalid_params, "unknown_watch",
                      "no storage.watch of that id on this connection"},
    error_description{ec::sip_delivery_failed, "delivery_failed",
                      "the SIP request could not be delivered"},
    error_description{ec::sip_aor_not_allowed, "aor_not_allowed",
                      "not an AOR this node may register (sip.users, sip.domains)"},
    error_description{ec::sip_call_failed, "call_failed",
                      "a click-to-call leg did not answer 2xx (data.leg: caller or callee, "
                      "data.status: its SIP status), or the call was hung up first"},
    error_description{ec::sip_no_such_call, "no_such_call",
                      "no click-to-call under way has that id"},
    error_description{ec::relay_off, "relay_off",
                      "the STUN/TURN relay is not running (relay.mode, or it could not bind)"},
};
}  // namespace

std::span<const error_description> known_errors() { return errors; }

rpc_error make_error(std::string_view name, std::string message, boost::json::object details) {
  for (const auto& known : errors) {
    if (known.name == name) {
      return rpc_error{known.code, std::string(name), std::move(message), std::move(details)};
    }
  }
  throw std::logic_error("unregistered control error name: " + std::string(name));
}

}  // namespace p2psip::control
