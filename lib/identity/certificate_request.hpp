// PKCS#10 certificate signing requests for enrollment (§11.3). The request
// names the user (an rfc822Name in a requested subjectAltName) but never a
// Node-ID: the enrollment server picks those.
#pragma once

#include <optional>
#include <string>

#include "identity/key_pair.hpp"
#include "identity/openssl_handles.hpp"

namespace p2psip::identity {

class certificate_request {
 public:
  // A CSR for `key`, signed with it, asking for `user_name`.
  static result<certificate_request> create(const key_pair& key, const std::string& user_name);
  // Parses DER or PEM and checks the request's self-signature and key type.
  // A request naming any reload: URI is request_asks_for_node_id; anything
  // else unusable is malformed_request; the detail says what.
  static result<certificate_request> parse(std::string_view der_or_pem);

  result<std::string> to_der() const;
  // The requested rfc822Name, if any.
  const std::optional<std::string>& user_name() const noexcept { return user_name_; }
  EVP_PKEY* public_key() const noexcept { return X509_REQ_get0_pubkey(req_.get()); }

 private:
  certificate_request(x509_req_ptr req, std::optional<std::string> user_name) noexcept
      : req_(std::move(req)), user_name_(std::move(user_name)) {}

  x509_req_ptr req_;
  std::optional<std::string> user_name_;
};

}  // namespace p2psip::identity
