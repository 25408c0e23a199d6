// The §11.3 enrollment server: HTTPS (its certificate issued by the overlay
// CA for the overlay name), one POST per connection carrying a
// multipart/form-data body with "csr" (application/pkcs10), optional
// "username"/"password" and "nodeids". Answers 200 application/pkix-cert with
// the DER certificate, or an error with a text/plain body whose first line is
// the §11.3 token (failed_authentication, username_not_available,
// Node-IDs_not_available, bad_CSR) followed by the reason:
//   400 bad_CSR               the CSR or the form is malformed
//   403 bad_CSR               the CSR asks for a Node-ID
//   403 failed_authentication unknown user or wrong password
//   403 username_not_available, 403 Node-IDs_not_available
//   405, 406, 413, 415        wrong method, Accept, size, Content-Type
// Beyond §11.3, accounts from a softphone's SIP digest answer (p2psip-ca(1)
// ACCOUNTS), only for an enrolled box showing its certificate as TLS client
// certificate (else 403 failed_authentication); multipart/form-data forms:
//   POST /account/challenge  username=ACCOUNT
//     200 text/plain: WWW-Authenticate values, one a line (realm: the
//     account's domain, one nonce for this account and box, qop auth), one
//     per algorithm the users file holds an H(A1) of, SHA-256 before MD5
//     (RFC 8760 §2.4); 404 unknown_account when it holds none.
//   POST /account/enroll  username, method, authorization (the phone's), csr
//     200 application/pkix-cert: user ACCOUNT, Node-ID the box's; 403
//     failed_authentication for a wrong password, an algorithm whose H(A1)
//     the CA lacks, or a nonce unknown, used, expired or issued for another
//     account or box (each nonce is tried once, whichever algorithm answers).
// Also answers GET /.well-known/reload-config (§11.2) with the overlay's
// configuration document (application/p2p-overlay+xml) when it has one.
// Runs on the caller's io_context; all state is touched from that context only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "identity/certificate_authority.hpp"
#include "identity/enrollment_tokens.hpp"
#include "identity/password_file.hpp"

namespace p2psip::identity {

struct enrollment_policy {
  // Accounts; without them no authentication is asked for (§11.3 "If
  // authentication is required") and the CSR's user name is used as is.
  std::optional<password_file> users;
  // One-time tokens, accepted as their user's password; also turns
  // authentication on. A used token gets failed_authentication saying so.
  std::optional<enrollment_tokens> tokens;
  // The current signed configuration document; empty: GET is refused.
  std::function<std::string()> configuration_document;
  std::size_t max_node_ids = 4;              // larger "nodeids": Node-IDs_not_available
  std::size_t max_request_bytes = 64 * 1024;  // whole body; larger: 413
  std::chrono::seconds io_timeout{10};       // per connection, handshake to reply
  std::chrono::seconds certificate_lifetime = certificate_authority::default_node_lifetime;
};

// The box behind a verified TLS client certificate: its user, its first Node-ID.
struct enrollment_client_peer {
  std::string user;
  wire::node_id node;
};

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// The listener's state, shared with its connections so they may outlive stop().
struct enrollment_server_state;

class enrollment_server {
 public:
  // `ca` must outlive the server.
  enrollment_server(boost::asio::io_context& io, certificate_authority& ca,
                    enrollment_policy policy);
  ~enrollment_server();
  enrollment_server(const enrollment_server&) = delete;
  enrollment_server& operator=(const enrollment_server&) = delete;

  // Binds (port 0 picks one), starts accepting; returns the bound port. The
  // TLS certificate names the overlay, localhost and `server_names` (DNS
  // names or addresses a configuration URL may use, §11.2).
  result<std::uint16_t> listen(const boost::asio::ip::tcp::endpoint& endpoint,
                               std::vector<std::string> server_names = {});
  void stop();

  // The answer to one request, without the transport (also used by tests),
  // from `client` when set.
  http_response answer(const http_request& request,
                       const std::optional<enrollment_client_peer>& client = std::nullopt);

 private:
  std::shared_ptr<enrollment_server_state> state_;
};

}  // namespace p2psip::identity
