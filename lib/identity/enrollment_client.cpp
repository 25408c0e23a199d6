#include "identity/enrollment_client.hpp"

#include <boost/beast/http.hpp>

#include "identity/certificate_request.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/https_client.hpp"
#include "identity/multipart_form.hpp"

namespace p2psip::identity {

namespace http = boost::beast::http;

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

  https_request message{http::verb::post, request.target, 11};
  message.set(http::field::host, request.overlay);
  message.set(http::field::accept, "application/pkix-cert");
  message.set(http::field::content_type, form->content_type);
  message.body() = std::move(form->body);
  message.prepare_payload();

  https_target target;
  target.host = request.host;
  target.port = request.port;
  target.path = request.target;
  target.tls_name = request.overlay;  // §11.3: the overlay name, not the address
  target.timeout = request.timeout;
  https_trust trust;
  trust.roots = request.root_certs;
  trust.client = request.client;
  auto response = https_exchange(target, trust, std::move(message));
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
