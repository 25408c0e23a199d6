#include "identity/enrollment_client.hpp"

#include <algorithm>

#include <boost/beast/http.hpp>

#include "identity/certificate_request.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/https_client.hpp"
#include "identity/multipart_form.hpp"

namespace p2psip::identity {

namespace http = boost::beast::http;

namespace {

// One multipart POST to the enrollment server of `server` (its host, port,
// overlay name, roots and client certificate) at `path`.
result<https_response> post_form(const enrollment_request& server, const std::string& path,
                                 const std::vector<form_part>& parts, std::string_view accept) {
  auto form = encode_multipart(parts);
  if (!form) return form.error();
  https_request message{http::verb::post, path, 11};
  message.set(http::field::host, server.overlay);
  message.set(http::field::accept, accept);
  message.set(http::field::content_type, form->content_type);
  message.body() = std::move(form->body);
  message.prepare_payload();

  https_target target;
  target.host = server.host;
  target.port = server.port;
  target.path = path;
  target.tls_name = server.overlay;  // §11.3: the overlay name, not the address
  target.timeout = server.timeout;
  https_trust trust;
  trust.roots = server.root_certs;
  trust.client = server.client;
  return https_exchange(target, trust, std::move(message));
}

identity_error refused(const https_response& response) {
  return identity_error{identity_errc::enrollment_refused,
                        "HTTP " + std::to_string(response.result_int()) + ": " + response.body()};
}

// The certificate an enrollment answer carries, checked: for `key`, chaining
// to the roots.
result<node_certificate> issued_certificate(const enrollment_request& server,
                                            const https_response& response, const key_pair& key) {
  if (response.result() != http::status::ok) return refused(response);
  if (response[http::field::content_type] != "application/pkix-cert") {
    return identity_error{identity_errc::enrollment_refused,
                          "the answer is not application/pkix-cert"};
  }
  const auto& body = response.body();
  auto cert = node_certificate::from_der(
      byte_span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  if (!cert) return cert.error();
  if (EVP_PKEY_eq(cert->public_key(), key.native()) != 1) {
    return identity_error{identity_errc::key_certificate_mismatch,
                          "the enrollment server returned a certificate for another key"};
  }
  const certificate_verifier verifier({server.overlay, server.root_certs, false});
  if (auto verified = verifier.verify(*cert, {}, std::chrono::system_clock::now()); !verified) {
    return verified.error();
  }
  return cert;
}

result<std::string> csr_der(const key_pair& key, const std::string& user_name) {
  auto csr = certificate_request::create(key, user_name);
  if (!csr) return csr.error();
  return csr->to_der();
}

}  // namespace

result<node_certificate> enroll(const enrollment_request& request, const key_pair& key) {
  auto der = csr_der(key, request.user_name);
  if (!der) return der.error();
  std::vector<form_part> parts;
  if (!request.password.empty()) {
    parts.push_back({"username", "", request.user_name});
    parts.push_back({"password", "", request.password});
  }
  if (request.node_ids > 1) parts.push_back({"nodeids", "", std::to_string(request.node_ids)});
  parts.push_back({"csr", "application/pkcs10", std::move(*der)});
  auto response = post_form(request, request.target, parts, "application/pkix-cert");
  if (!response) return response.error();
  return issued_certificate(request, *response, key);
}

result<std::vector<std::string>> account_challenge(const enrollment_request& server,
                                                   const std::string& account) {
  auto response = post_form(server, std::string(account_challenge_target),
                            {{"username", "", account}}, "text/plain");
  if (!response) return response.error();
  if (response->result() == http::status::not_found) return std::vector<std::string>{};
  if (response->result() != http::status::ok) return refused(*response);
  std::vector<std::string> values;
  std::string_view body = response->body();
  while (!body.empty()) {
    const auto end = std::min(body.find('\n'), body.size());
    std::string_view line = body.substr(0, end);
    body.remove_prefix(std::min(end + 1, body.size()));
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!line.empty()) values.emplace_back(line);
  }
  if (values.empty())
    return identity_error{identity_errc::enrollment_refused, "the challenge is empty"};
  return values;
}

result<node_certificate> enroll_account(const enrollment_request& server,
                                        const std::string& account, const std::string& method,
                                        const std::string& authorization, const key_pair& key) {
  auto der = csr_der(key, account);
  if (!der) return der.error();
  auto response = post_form(server, std::string(account_enroll_target),
                            {{"username", "", account},
                             {"method", "", method},
                             {"authorization", "", authorization},
                             {"csr", "application/pkcs10", std::move(*der)}},
                            "application/pkix-cert");
  if (!response) return response.error();
  return issued_certificate(server, *response, key);
}

}  // namespace p2psip::identity
