// The node side of §11.3 enrollment: a CSR for the node's key, POSTed over
// HTTPS to the enrollment server, whose certificate must chain to a root-cert
// and name the overlay (RFC 2818); the certificate returned must chain to a
// root-cert too (BasicConstraints included) and be for the node's key.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/https_client.hpp"
#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

namespace p2psip::identity {

struct enrollment_request {
  std::string host;            // where to connect, e.g. "127.0.0.1"
  std::uint16_t port = 443;
  std::string target = "/";
  std::string overlay;         // the server certificate must be for this name
  std::vector<node_certificate> root_certs;
  std::string user_name;       // the account, and the user name asked for in the CSR
  std::string password;        // empty: no credentials are sent
  std::size_t node_ids = 1;    // "nodeids" is sent only when more than one
  std::chrono::seconds timeout{10};
  // Renewal: the node's current certificate, shown as TLS client
  // certificate instead of a password (beyond §11.3; see p2psip-ca(1)).
  std::optional<client_identity> client;
};

// Blocks for at most about request.timeout. enrollment_transport when the
// server cannot be reached, untrusted_chain when its certificate does not
// chain to a root-cert or name the overlay; enrollment_refused with the
// HTTP status and the server's token and reason when it says no.
result<node_certificate> enroll(const enrollment_request& request, const key_pair& key);

// Accounts from a softphone's digest answer (enrollment_server.hpp), asked
// by a box showing its certificate (`server.client` set; `server.target`
// unused). Both block like enroll().
inline constexpr std::string_view account_challenge_target = "/account/challenge";
inline constexpr std::string_view account_enroll_target = "/account/enroll";

// The WWW-Authenticate values to challenge the phone with, one header each,
// in the CA's order (SHA-256 before MD5); none when the CA holds no digest
// credentials for `account` (the phone is not challenged).
result<std::vector<std::string>> account_challenge(const enrollment_request& server,
                                                   const std::string& account);
// A certificate for `account` and `key`, bound to the box's Node-ID, when
// the phone's `authorization` answers a challenge from account_challenge.
result<node_certificate> enroll_account(const enrollment_request& server,
                                        const std::string& account, const std::string& method,
                                        const std::string& authorization, const key_pair& key);

}  // namespace p2psip::identity
