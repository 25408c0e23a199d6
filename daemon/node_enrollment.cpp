// The node's certificate while the daemon runs: renewal before expiry and
// node.enroll (p2psipd(8) CERTIFICATE RENEWAL, p2psipctl(1) enroll), both
// through certificate_renewal, and the switch to a new certificate.
#include <string>

#include "control/rpc_error.hpp"
#include "daemon/p2psip_daemon.hpp"
#include "identity/enrollment_tokens.hpp"
#include "runtime/logger.hpp"

namespace p2psip::daemon {

using runtime::logs;
namespace json = boost::json;

namespace {

// The RPC error for each cause first-start enrollment names (p2psip-rpc(7)).
control::rpc_error enrollment_error(const provisioning_error& error) {
  const char* name = "enrollment_failed";
  switch (error.cause) {
    case provisioning_cause::unreachable: name = "ca_unreachable"; break;
    case provisioning_cause::wrong_password: name = "wrong_password"; break;
    case provisioning_cause::token_used: name = "token_used"; break;
    case provisioning_cause::csr_refused: name = "csr_refused"; break;
    case provisioning_cause::root_mismatch: name = "root_mismatch"; break;
    case provisioning_cause::bad_document:
    case provisioning_cause::no_credentials:
    case provisioning_cause::local_failure: break;
  }
  return control::make_error(name, error.describe(), {{"cause", to_string(error.cause)}});
}

}  // namespace

void p2psip_daemon::renew_certificate_if_due() {
  if (!renewal_ || restart_needed_) return;
  renewal_->poll(signer_.certificate(), std::chrono::system_clock::now(),
                 [this](certificate_renewal::outcome renewed) {
                   if (renewed) {
                     install_certificate(renewed->certificate, "renewed");
                     return;
                   }
                   const auto& error = renewed.error();
                   const auto expires = certificate_status(signer_.certificate()).at("expires");
                   const auto retry = renewal_->backoff().count();
                   logs.write(error.retry_later() ? log_level::warning : log_level::error,
                              "certificate renewal failed (" + error.describe() +
                                  "); running on the current certificate, valid until " +
                                  std::string(expires.as_string()) + "; retrying in " +
                                  std::to_string(retry) + " s");
                   events_.publish("node.certificate", {{"what", "renewal_failed"},
                                                        {"cause", to_string(error.cause)},
                                                        {"reason", error.reason},
                                                        {"expires", expires},
                                                        {"retry_in_s", retry}});
                 });
}

void p2psip_daemon::enroll(const json::object& params, control::responder respond) {
  if (!renewal_) {
    return respond.error(control::make_error(
        "enrollment_failed",
        "this daemon does not fetch its overlay's configuration (p2psipd --overlay NAME), so it "
        "has no enrollment server"));
  }
  const auto* token = params.if_contains("token");
  const auto* user = params.if_contains("user");
  const auto* password = params.if_contains("password");
  enrollment_secret secret;
  if (token != nullptr && user == nullptr && password == nullptr) {
    const auto parsed = identity::parse_token(token->as_string());
    if (!parsed) {
      return respond.error(control::make_error(
          "bad_format", "token is not a token from p2psip-ca token (USER/SECRET/FINGERPRINT)"));
    }
    secret = {parsed->user, parsed->secret, parsed->root};
  } else if (token == nullptr && user != nullptr && password != nullptr) {
    secret = {std::string(user->as_string()), std::string(password->as_string()), std::nullopt};
  } else {
    return respond.error(
        control::make_error("bad_format", "give user and password, or token alone"));
  }
  logs.write(log_level::notice, "node.enroll: enrolling as " + secret.user);
  renewal_->enroll(std::move(secret), [this, respond](certificate_renewal::outcome enrolled) {
    if (!enrolled) {
      logs.write(log_level::error, "node.enroll: " + enrolled.error().describe());
      return respond.error(enrollment_error(enrolled.error()));
    }
    const bool live = install_certificate(enrolled->certificate, "enrolled");
    auto result = certificate_status(enrolled->certificate);
    result["restart_needed"] = !live;
    respond.result(std::move(result));
  });
}

bool p2psip_daemon::install_certificate(const identity::node_certificate& cert,
                                        std::string_view what) {
  auto event = certificate_status(cert);
  event["what"] = what;
  // The key stays, so the TLS contexts take the certificate whenever the
  // signer does (same key, same Node-ID).
  const bool live = cert.has_node_id(self_) && signer_.use_certificate(cert) &&
                    tls_.use_certificate(cert) && dtls_.use_certificate(cert);
  event["restart_needed"] = !live;
  if (live) {
    credentials_.certificate = cert;
    if (account_client_) account_client_->use_certificate(cert);
    relay_.use_certificate(cert.to_pem());
    sip_->node_certificate_changed();
    logs.write(log_level::notice, "certificate " + std::string(what) + ": valid until " +
                                      std::string(event.at("expires").as_string()) +
                                      ", in use for new links and signatures");
  } else {
    restart_needed_ = true;
    logs.write(log_level::warning, "certificate " + std::string(what) + " for " +
                                       cert.user_name().value_or("?") +
                                       " saved; it names another Node-ID than this node's " +
                                       self_.hex() + ", so it is in force from the next start");
  }
  metrics_.counter("certificate_changes_total", "node certificates installed while running")
      .increment(1);
  events_.publish("node.certificate", std::move(event));
  return live;
}

}  // namespace p2psip::daemon
