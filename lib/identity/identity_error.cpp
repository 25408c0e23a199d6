#include "identity/identity_error.hpp"

#include <openssl/err.h>

namespace p2psip::identity {

const char* to_string(identity_errc code) noexcept {
  switch (code) {
    case identity_errc::io_error: return "io_error";
    case identity_errc::insecure_key_file: return "insecure_key_file";
    case identity_errc::malformed_key: return "malformed_key";
    case identity_errc::unsupported_key: return "unsupported_key";
    case identity_errc::malformed_certificate: return "malformed_certificate";
    case identity_errc::malformed_request: return "malformed_request";
    case identity_errc::request_asks_for_node_id: return "request_asks_for_node_id";
    case identity_errc::invalid_user_name: return "invalid_user_name";
    case identity_errc::key_certificate_mismatch: return "key_certificate_mismatch";
    case identity_errc::crypto_failure: return "crypto_failure";
    case identity_errc::unsupported_algorithm: return "unsupported_algorithm";
    case identity_errc::invalid_signer_identity: return "invalid_signer_identity";
    case identity_errc::unknown_signer: return "unknown_signer";
    case identity_errc::bad_signature: return "bad_signature";
    case identity_errc::certificate_expired: return "certificate_expired";
    case identity_errc::certificate_not_yet_valid: return "certificate_not_yet_valid";
    case identity_errc::untrusted_chain: return "untrusted_chain";
    case identity_errc::node_id_not_in_certificate: return "node_id_not_in_certificate";
    case identity_errc::self_signed_forbidden: return "self_signed_forbidden";
    case identity_errc::self_signed_node_id_mismatch: return "self_signed_node_id_mismatch";
    case identity_errc::enrollment_transport: return "enrollment_transport";
    case identity_errc::enrollment_refused: return "enrollment_refused";
  }
  return "unknown";
}

std::string identity_error::describe() const {
  std::string out = to_string(code);
  if (!detail.empty()) out += ": " + detail;
  return out;
}

identity_error openssl_error(identity_errc code, std::string what) {
  // Keep the most specific (last) reason; drain the queue so stale entries do
  // not leak into the next failure report.
  unsigned long last = 0;
  while (const unsigned long e = ERR_get_error()) last = e;
  if (last != 0) {
    char buf[256];
    ERR_error_string_n(last, buf, sizeof buf);
    what += " (";
    what += buf;
    what += ")";
  }
  return identity_error{code, std::move(what)};
}

}  // namespace p2psip::identity
