#include "identity/https_client.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/x509v3.h>

#include "wire/ids.hpp"

namespace p2psip::identity {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

identity_error transport_error(const std::string& what, const beast::error_code& ec) {
  return identity_error{identity_errc::enrollment_transport, what + ": " + ec.message()};
}

bool is_ip_literal(const std::string& text) {
  in6_addr scratch{};
  return ::inet_pton(AF_INET, text.c_str(), &scratch) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), &scratch) == 1;
}

// OpenSSL's chain check with the pinned certificate of the peer's own chain
// as the only trust anchor; the host name check set on the SSL still applies.
int verify_with_pin(X509_STORE_CTX* ctx, void* arg) {
  const auto& pin = *static_cast<const sha256_fingerprint*>(arg);
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(ctx);
  X509* anchor = nullptr;
  for (int i = 0; sent != nullptr && i < sk_X509_num(sent) && anchor == nullptr; ++i) {
    X509* candidate = sk_X509_value(sent, i);
    std::array<std::uint8_t, 32> hash{};
    unsigned length = 0;
    if (X509_digest(candidate, EVP_sha256(), hash.data(), &length) == 1 && hash == pin) {
      anchor = candidate;
    }
  }
  if (anchor == nullptr) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_UNTRUSTED);
    return 0;
  }
  STACK_OF(X509)* trusted = sk_X509_new_null();
  if (trusted == nullptr || sk_X509_push(trusted, anchor) == 0) {
    sk_X509_free(trusted);
    return 0;
  }
  X509_STORE_CTX_set0_trusted_stack(ctx, trusted);
  const int verified = X509_verify_cert(ctx);
  X509_STORE_CTX_set0_trusted_stack(ctx, nullptr);
  sk_X509_free(trusted);
  return verified;
}

asio::awaitable<result<https_response>> exchange(const https_target& target,
                                                 asio::ssl::context& tls, https_request message) {
  auto executor = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  SSL* ssl = stream.native_handle();
  const bool by_address = is_ip_literal(target.tls_name);
  // SNI only for names (RFC 6066 §3); RFC 2818 matching either way.
  const bool named =
      by_address ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target.tls_name.c_str()) == 1
                 : SSL_set_tlsext_host_name(ssl, target.tls_name.c_str()) == 1 &&
                       SSL_set1_host(ssl, target.tls_name.c_str()) == 1;
  if (!named)
    co_return openssl_error(identity_errc::enrollment_transport, "cannot set TLS host name");
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(target.timeout);

  beast::error_code ec;
  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(
      target.host, std::to_string(target.port), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot resolve " + target.host, ec);
  co_await tcp_layer.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return transport_error(
        "cannot connect to " + target.host + ":" + std::to_string(target.port), ec);
  }
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // A server reached but not trusted is no transport problem: retrying
    // will not make its certificate chain to the root or name the host.
    const long verdict = SSL_get_verify_result(ssl);
    if (verdict != X509_V_OK) {
      co_return identity_error{identity_errc::untrusted_chain,
                               "the certificate of " + target.host + " is not trusted for " +
                                   target.tls_name + ": " + X509_verify_cert_error_string(verdict)};
    }
    co_return transport_error("TLS handshake with " + target.tls_name + " failed", ec);
  }
  co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot send the request", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(target.max_response_bytes);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot read the answer", ec);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return parser.release();
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_host_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

}  // namespace

result<https_response> https_exchange(const https_target& target, const https_trust& trust,
                                      https_request request) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX* ctx = tls.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  for (const auto& root : trust.roots) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), root.native()) != 1) {
      return openssl_error(identity_errc::crypto_failure, "cannot trust the root-cert");
    }
  }
  if (trust.system_roots && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return openssl_error(identity_errc::crypto_failure, "cannot load the system's roots");
  }
  // The pin outlives the handshake: it is the caller's.
  if (trust.root_pin) {
    SSL_CTX_set_cert_verify_callback(ctx, verify_with_pin,
                                     const_cast<sha256_fingerprint*>(&*trust.root_pin));
  }
  tls.set_verify_mode(asio::ssl::verify_peer);
  if (trust.client && (SSL_CTX_use_certificate(ctx, trust.client->certificate->native()) != 1 ||
                       SSL_CTX_use_PrivateKey(ctx, trust.client->key->native()) != 1)) {
    return openssl_error(identity_errc::key_certificate_mismatch,
                         "cannot present the client certificate");
  }

  asio::io_context io;
  std::optional<result<https_response>> outcome;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        outcome.emplace(co_await exchange(target, tls, std::move(request)));
      },
      [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);  // only allocation failure; io.run() rethrows it
      });
  io.run();
  return std::move(*outcome);
}

std::optional<https_target> parse_https_url(std::string_view url) {
  constexpr std::string_view scheme = "https://";
  if (!url.starts_with(scheme) || url.size() > 2048) return std::nullopt;
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  https_target out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  for (const char c : out.path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return std::nullopt;
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    in6_addr scratch{};
    if (::inet_pton(AF_INET6, out.host.c_str(), &scratch) != 1) return std::nullopt;
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
    if (!rest.empty() && port_text.empty()) return std::nullopt;
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
    if (out.host.empty() || !std::all_of(out.host.begin(), out.host.end(), is_host_character)) {
      return std::nullopt;
    }
  }
  if (!port_text.empty()) {
    const auto port = parse_port(port_text);
    if (!port) return std::nullopt;
    out.port = *port;
  }
  out.tls_name = out.host;
  return out;
}

sha256_fingerprint fingerprint_of(const node_certificate& cert) {
  sha256_fingerprint out{};
  unsigned length = 0;
  X509_digest(cert.native(), EVP_sha256(), out.data(), &length);
  return out;
}

std::string to_string(const sha256_fingerprint& fingerprint) {
  return "sha256:" + wire::to_hex(fingerprint);
}

std::optional<sha256_fingerprint> parse_fingerprint(std::string_view text) {
  if (!text.starts_with("sha256:")) return std::nullopt;
  const auto bytes = wire::from_hex(text.substr(7));
  if (!bytes || bytes->size() != 32) return std::nullopt;
  sha256_fingerprint out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace p2psip::identity
