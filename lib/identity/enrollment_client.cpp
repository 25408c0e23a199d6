#include "identity/enrollment_client.hpp"

#include <exception>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "identity/certificate_request.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/multipart_form.hpp"

namespace p2psip::identity {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

constexpr std::uint32_t max_response_bytes = 64 * 1024;

identity_error transport_error(const std::string& what, const beast::error_code& ec) {
  return identity_error{identity_errc::enrollment_transport, what + ": " + ec.message()};
}

asio::awaitable<result<http::response<http::string_body>>> post(
    const enrollment_request& request, asio::ssl::context& tls,
    http::request<http::string_body> message) {
  auto executor = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  SSL* ssl = stream.native_handle();
  // SNI and RFC 2818 name matching against the overlay name, not the address.
  if (SSL_set_tlsext_host_name(ssl, request.overlay.c_str()) != 1 ||
      SSL_set1_host(ssl, request.overlay.c_str()) != 1) {
    co_return openssl_error(identity_errc::enrollment_transport, "cannot set TLS host name");
  }
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(request.timeout);

  beast::error_code ec;
  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(
      request.host, std::to_string(request.port), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot resolve " + request.host, ec);
  co_await tcp_layer.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot connect", ec);
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("TLS handshake with the enrollment server failed", ec);
  co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot send the request", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_response_bytes);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot read the answer", ec);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return parser.release();
}

}  // namespace

result<node_certificate> enroll(const enrollment_request& request, const key_pair& key) {
  auto csr = certificate_request::create(key, request.user_name);
  if (!csr) return csr.error();
  auto der = csr->to_der();
  if (!der) return der.error();

  std::vector<form_part> parts;
  if (!request.password.empty()) {
    parts.push_back({"username", "", request.user_name});
    parts.push_back({"password", "", request.password});
  }
  if (request.node_ids > 1) parts.push_back({"nodeids", "", std::to_string(request.node_ids)});
  parts.push_back({"csr", "application/pkcs10", std::move(*der)});
  auto form = encode_multipart(parts);
  if (!form) return form.error();

  http::request<http::string_body> message{http::verb::post, request.target, 11};
  message.set(http::field::host, request.overlay);
  message.set(http::field::accept, "application/pkix-cert");
  message.set(http::field::content_type, form->content_type);
  message.body() = std::move(form->body);
  message.prepare_payload();

  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX* ctx = tls.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  for (const auto& root : request.root_certs) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), root.native()) != 1) {
      return openssl_error(identity_errc::crypto_failure, "cannot trust the root-cert");
    }
  }
  tls.set_verify_mode(asio::ssl::verify_peer);

  asio::io_context io;
  std::optional<result<http::response<http::string_body>>> outcome;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> { outcome.emplace(co_await post(request, tls, std::move(message))); },
      [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);  // only allocation failure; io.run() rethrows it
      });
  io.run();
  auto& response = *outcome;
  if (!response) return response.error();

  if (response->result() != http::status::ok) {
    return identity_error{identity_errc::enrollment_refused,
                          "HTTP " + std::to_string(response->result_int()) + ": " +
                              response->body()};
  }
  if ((*response)[http::field::content_type] != "application/pkix-cert") {
    return identity_error{identity_errc::enrollment_refused,
                          "the answer is not application/pkix-cert"};
  }
  const auto& body = response->body();
  auto cert = node_certificate::from_der(
      byte_span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  if (!cert) return cert.error();
  if (EVP_PKEY_eq(cert->public_key(), key.native()) != 1) {
    return identity_error{identity_errc::key_certificate_mismatch,
                          "the enrollment server returned a certificate for another key"};
  }
  const certificate_verifier verifier({request.overlay, request.root_certs, false});
  if (auto verified = verifier.verify(*cert, {}, std::chrono::system_clock::now()); !verified) {
    return verified.error();
  }
  return cert;
}

}  // namespace p2psip::identity
