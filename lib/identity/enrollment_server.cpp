#include "identity/enrollment_server.hpp"

#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "identity/account_digest.hpp"
#include "identity/certificate_request.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/enrollment_client.hpp"
#include "identity/multipart_form.hpp"

namespace p2psip::identity {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

constexpr std::uint32_t max_header_bytes = 16 * 1024;
constexpr std::string_view pkix_cert = "application/pkix-cert";
constexpr std::string_view configuration_path = "/.well-known/reload-config";  // §11.2

http_response text_response(http::status status, std::string_view token, std::string_view reason) {
  http_response res{status, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::string(token);
  if (!reason.empty()) res.body() += "\n" + std::string(reason);
  res.body() += "\n";
  return res;
}

bool accepts_pkix_cert(std::string_view accept) {
  return accept.find(pkix_cert) != std::string_view::npos ||
         accept.find("*/*") != std::string_view::npos ||
         accept.find("application/*") != std::string_view::npos;
}

std::optional<std::size_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  std::size_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

}  // namespace

struct enrollment_server_state {
  enrollment_server_state(asio::io_context& io_context, certificate_authority& authority, enrollment_policy p)
      : io(io_context), ca(authority), policy(std::move(p)), acceptor(io_context) {}

  asio::io_context& io;
  certificate_authority& ca;
  enrollment_policy policy;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor;
  digest_nonces nonces;
};

namespace {

http_response answer_request(enrollment_server_state& s, const http_request& req,
                             const std::optional<enrollment_client_peer>& client);

// Who a valid certificate the client showed names, for renewal and accounts.
std::optional<enrollment_client_peer> client_peer(enrollment_server_state& s, SSL* ssl) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return std::nullopt;
  const certificate_verifier verifier({s.ca.overlay(), {s.ca.root()}, false});
  auto verified =
      verifier.verify_peer(leaf, SSL_get_peer_cert_chain(ssl), std::chrono::system_clock::now());
  if (!verified || !verified->user_name || verified->node_ids.empty()) return std::nullopt;
  return enrollment_client_peer{*verified->user_name, verified->node_ids.front()};
}

asio::awaitable<void> serve_connection(std::shared_ptr<enrollment_server_state> s,
                                       tcp::socket socket) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), s->tls);
  beast::get_lowest_layer(stream).expires_after(s->policy.io_timeout);
  beast::error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;

  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(max_header_bytes);
  parser.body_limit(s->policy.max_request_bytes);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  http_response res;
  if (ec == http::error::body_limit) {
    res = text_response(http::status::payload_too_large, "bad_CSR",
                        "the request body exceeds " +
                            std::to_string(s->policy.max_request_bytes) + " bytes");
  } else if (ec == http::error::header_limit) {
    res = text_response(http::status::request_header_fields_too_large, "bad_CSR",
                        "the request headers are too large");
  } else if (ec) {
    co_return;
  } else {
    res = answer_request(*s, parser.get(), client_peer(*s, stream.native_handle()));
  }
  res.keep_alive(false);
  res.prepare_payload();
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> accept_connections(std::shared_ptr<enrollment_server_state> s) {
  while (s->acceptor.is_open()) {
    beast::error_code ec;
    tcp::socket socket =
        co_await s->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) asio::co_spawn(s->io, serve_connection(s, std::move(socket)), asio::detached);
  }
}

http_response configuration_response(enrollment_server_state& s) {
  if (!s.policy.configuration_document) {
    return text_response(http::status::not_found, "", "no such document");
  }
  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/p2p-overlay+xml");
  res.body() = s.policy.configuration_document();
  return res;
}

// Who is enrolling, once the form's credentials were checked; an error
// answer otherwise. `token_secret` is set when a one-time token was used.
std::variant<std::string, http_response> authenticate(
    enrollment_server_state& s, const std::vector<form_part>& form,
    const std::optional<std::string>& renewing_user, std::optional<std::string>& token_secret) {
  const auto* user = find_part(form, "username");
  const auto* password = find_part(form, "password");
  const auto refuse = [](std::string_view why) {
    return text_response(http::status::forbidden, "failed_authentication", why);
  };
  if (user == nullptr && password == nullptr && renewing_user) return *renewing_user;
  if (user == nullptr || password == nullptr) return refuse("username and password are required");
  if (s.policy.users && s.policy.users->authenticate(user->data, password->data)) return user->data;
  if (s.policy.tokens) {
    switch (s.policy.tokens->check(user->data, password->data)) {
      case token_check::unused: token_secret = password->data; return user->data;
      case token_check::used: return refuse("this enrollment token was already used");
      case token_check::unknown: break;
    }
  }
  return refuse("unknown account or wrong password");
}

// The account's local part and domain: the digest username and realm.
std::pair<std::string_view, std::string_view> digest_names(std::string_view account) {
  const auto at = account.find('@');
  return {account.substr(0, at), account.substr(at + 1)};
}

// The algorithms the CA holds an H(A1) of for `account`, preferred first.
std::vector<digest_algorithm> held_digests(const enrollment_server_state& s,
                                           std::string_view account) {
  std::vector<digest_algorithm> held;
  if (!s.policy.users) return held;
  for (const auto algorithm : digest_algorithms) {
    if (s.policy.users->digest_ha1(account, algorithm)) held.push_back(algorithm);
  }
  return held;
}

// POST /account/challenge, "username": one WWW-Authenticate value a line,
// one per algorithm the CA holds an H(A1) of, SHA-256 first (RFC 8760
// §2.4), all with the one nonce for this account and this box; or 404
// unknown_account when it holds none (the box then does not challenge its
// phone).
http_response account_challenge(enrollment_server_state& s, const std::vector<form_part>& form,
                                const enrollment_client_peer& box) {
  const auto* user = find_part(form, "username");
  const auto held = user != nullptr && is_valid_user_name(user->data)
                        ? held_digests(s, user->data)
                        : std::vector<digest_algorithm>{};
  if (held.empty()) {
    return text_response(http::status::not_found, "unknown_account",
                         "no digest credentials for this account");
  }
  const auto nonce = s.nonces.issue(user->data, box.node.hex(), std::chrono::steady_clock::now());
  if (nonce.empty()) return text_response(http::status::internal_server_error, "", "no randomness");
  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  for (const auto algorithm : held) {
    res.body() += digest_challenge_value(algorithm, digest_names(user->data).second, nonce) + "\n";
  }
  return res;
}

// POST /account/enroll, "username", "method", "authorization" (the phone's
// answer to a challenge from account_challenge) and "csr": a certificate for
// the account bound to the box's Node-ID.
http_response account_enroll(enrollment_server_state& s, const std::vector<form_part>& form,
                             const enrollment_client_peer& box) {
  const auto refuse = [](std::string why) {
    return text_response(http::status::forbidden, "failed_authentication", why);
  };
  const auto* user = find_part(form, "username");
  const auto* method = find_part(form, "method");
  const auto* authorization = find_part(form, "authorization");
  if (user == nullptr || method == nullptr || authorization == nullptr) {
    return text_response(http::status::bad_request, "bad_CSR",
                         "username, method and authorization are required");
  }
  if (!is_valid_user_name(user->data) || held_digests(s, user->data).empty())
    return refuse("no digest credentials for this account");
  const auto answer = parse_digest_authorization(authorization->data);
  if (!answer) return refuse("the Authorization is not a Digest SHA-256 or MD5 answer");
  const auto ha1 = s.policy.users->digest_ha1(user->data, answer->algorithm);
  if (!ha1) {
    return refuse(std::string("no digest ") + to_string(answer->algorithm) +
                  " credentials for this account");
  }
  const auto [local, domain] = digest_names(user->data);
  if (answer->username != local || answer->realm != domain) {
    return refuse("the answer is for another user or realm");
  }
  // Spent before the password is checked: each answer is tried once.
  const auto nonce =
      s.nonces.consume(answer->nonce, user->data, box.node.hex(), std::chrono::steady_clock::now());
  if (nonce != nonce_check::fresh) return refuse(to_string(nonce));
  if (!digest_response_matches(*ha1, method->data, *answer)) return refuse("wrong password");
  const auto* csr_part = find_part(form, "csr");
  if (csr_part == nullptr || csr_part->content_type != "application/pkcs10") {
    return text_response(http::status::bad_request, "bad_CSR", "no application/pkcs10 \"csr\"");
  }
  auto csr = certificate_request::parse(csr_part->data);
  if (!csr) return text_response(http::status::bad_request, "bad_CSR", csr.error().detail);
  if (csr->user_name() && *csr->user_name() != user->data) {
    return text_response(http::status::forbidden, "username_not_available",
                         "the CSR names another user");
  }
  auto cert =
      s.ca.issue_node_certificate(csr->public_key(), {box.node}, user->data,
                                  std::chrono::system_clock::now(), s.policy.certificate_lifetime);
  if (!cert) return text_response(http::status::internal_server_error, "", cert.error().describe());
  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, pkix_cert);
  res.body().assign(cert->der().begin(), cert->der().end());
  return res;
}

http_response answer_request(enrollment_server_state& s, const http_request& req,
                             const std::optional<enrollment_client_peer>& client) {
  if (req.method() == http::verb::get && req.target() == configuration_path) {
    return configuration_response(s);
  }
  if (req.method() != http::verb::post) {
    return text_response(http::status::method_not_allowed, "bad_CSR", "use POST (RFC 6940 §11.3)");
  }
  if (req.target() == account_challenge_target || req.target() == account_enroll_target) {
    if (!client) {
      return text_response(http::status::forbidden, "failed_authentication",
                           "only an enrolled box (its certificate as TLS client certificate) "
                           "may ask for accounts");
    }
    auto form = parse_multipart(req[http::field::content_type], req.body());
    if (!form) return text_response(http::status::bad_request, "bad_CSR", form.error().detail);
    return req.target() == account_challenge_target ? account_challenge(s, *form, *client)
                                                    : account_enroll(s, *form, *client);
  }
  const std::optional<std::string> renewing_user =
      client ? std::optional<std::string>(client->user) : std::nullopt;
  if (!accepts_pkix_cert(req[http::field::accept])) {
    return text_response(http::status::not_acceptable, "bad_CSR",
                         "the Accept header must include application/pkix-cert");
  }
  const auto content_type = req[http::field::content_type];
  auto form = parse_multipart(content_type, req.body());
  if (!form) {
    const bool wrong_type = content_type.find("multipart/form-data") == std::string_view::npos;
    return text_response(wrong_type ? http::status::unsupported_media_type
                                    : http::status::bad_request,
                         "bad_CSR", form.error().detail);
  }

  // Authenticate before anything about Node-IDs is decided (§11.3).
  std::string account;
  std::optional<std::string> token_secret;
  if (s.policy.users || s.policy.tokens) {
    auto who = authenticate(s, *form, renewing_user, token_secret);
    if (auto* refused = std::get_if<http_response>(&who)) return std::move(*refused);
    account = std::get<std::string>(who);
  }

  std::size_t count = 1;
  if (const auto* nodeids = find_part(*form, "nodeids")) {
    const auto parsed = parse_count(nodeids->data);
    if (!parsed || *parsed == 0 || *parsed > s.policy.max_node_ids) {
      return text_response(http::status::forbidden, "Node-IDs_not_available",
                           "nodeids must be between 1 and " +
                               std::to_string(s.policy.max_node_ids));
    }
    count = *parsed;
  }

  const auto* csr_part = find_part(*form, "csr");
  if (csr_part == nullptr) {
    return text_response(http::status::bad_request, "bad_CSR", "the form has no \"csr\" part");
  }
  if (csr_part->content_type != "application/pkcs10") {
    return text_response(http::status::bad_request, "bad_CSR",
                         "the \"csr\" part must have Content-Type application/pkcs10");
  }
  auto csr = certificate_request::parse(csr_part->data);
  if (!csr) {
    const bool asks_for_node_id = csr.error().code == identity_errc::request_asks_for_node_id;
    return text_response(asks_for_node_id ? http::status::forbidden : http::status::bad_request,
                         "bad_CSR", csr.error().detail);
  }

  const std::string user = account.empty() ? csr->user_name().value_or("") : account;
  if ((!account.empty() && csr->user_name() && *csr->user_name() != account) ||
      !is_valid_user_name(user)) {
    return text_response(http::status::forbidden, "username_not_available",
                         "the user name must be the account name, of the form local@domain");
  }

  auto nodes = s.ca.node_ids_for(user, count);
  if (!nodes) {
    return text_response(http::status::internal_server_error, "", nodes.error().describe());
  }
  auto cert = s.ca.issue_node_certificate(csr->public_key(), *nodes, user,
                                          std::chrono::system_clock::now(),
                                          s.policy.certificate_lifetime);
  if (!cert) return text_response(http::status::internal_server_error, "", cert.error().describe());
  // Spent only now: a CSR refused above leaves the token usable.
  if (token_secret) {
    if (auto spent = s.policy.tokens->consume(account, *token_secret); !spent) {
      return text_response(http::status::internal_server_error, "", spent.error().describe());
    }
  }

  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, pkix_cert);
  res.body().assign(cert->der().begin(), cert->der().end());
  return res;
}

}  // namespace

enrollment_server::enrollment_server(asio::io_context& io, certificate_authority& ca,
                                     enrollment_policy policy)
    : state_(std::make_shared<enrollment_server_state>(io, ca, std::move(policy))) {}

enrollment_server::~enrollment_server() { stop(); }

result<std::uint16_t> enrollment_server::listen(const tcp::endpoint& endpoint,
                                                std::vector<std::string> server_names) {
  // "localhost" too, so that clients naming the host rather than the overlay work.
  server_names.emplace_back("localhost");
  auto server = state_->ca.issue_server_certificate(std::chrono::system_clock::now(), server_names);
  if (!server) return server.error();
  SSL_CTX* ctx = state_->tls.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(ctx, server->certificate.native()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, server->key.native()) != 1 ||
      SSL_CTX_add1_chain_cert(ctx, state_->ca.root().native()) != 1) {
    return openssl_error(identity_errc::crypto_failure, "cannot set up the TLS server");
  }
  // A client certificate is asked for, never required, and judged after the
  // handshake by the overlay's own rules (client_user).
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });

  beast::error_code ec;
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.close();
    return identity_error{identity_errc::io_error, "cannot listen: " + ec.message()};
  }
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(state_->io, accept_connections(state_), asio::detached);
  return port;
}

void enrollment_server::stop() {
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

http_response enrollment_server::answer(const http_request& request,
                                        const std::optional<enrollment_client_peer>& client) {
  auto res = answer_request(*state_, request, client);
  res.prepare_payload();
  return res;
}

}  // namespace p2psip::identity
