#include "daemon/overlay_provisioning.hpp"

#include <algorithm>
#include <random>

#include <boost/beast/http.hpp>

#include "daemon/srv_lookup.hpp"
#include "identity/atomic_file.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/enrollment_client.hpp"
#include "identity/https_client.hpp"
#include "identity/openssl_handles.hpp"

namespace p2psip::daemon {
namespace {

namespace http = boost::beast::http;
namespace fs = std::filesystem;

constexpr const char* document_file = "overlay.xml";
constexpr const char* roots_file = "overlay-root.crt";
constexpr std::string_view well_known_path = "/.well-known/reload-config";

provisioning_error failure(provisioning_cause cause, std::string reason) {
  return provisioning_error{cause, std::move(reason)};
}

// The §11.3 token of a refusal ("HTTP 403: failed_authentication\n...")
// and the server's words decide the cause.
provisioning_error enrollment_failure(const identity::identity_error& error) {
  using identity::identity_errc;
  const auto& detail = error.detail;
  switch (error.code) {
    case identity_errc::enrollment_transport:
      return failure(provisioning_cause::unreachable, "enrollment server unreachable: " + detail);
    case identity_errc::enrollment_refused:
      if (detail.find("already used") != std::string::npos) {
        return failure(provisioning_cause::token_used,
                       "the enrollment token was already used: " + detail);
      }
      if (detail.find("failed_authentication") != std::string::npos) {
        return failure(
            provisioning_cause::wrong_password,
            "the CA refused the credentials (wrong password, or unknown user or token): " + detail);
      }
      return failure(provisioning_cause::csr_refused, "the CA refused the request: " + detail);
    case identity_errc::untrusted_chain:
    case identity_errc::key_certificate_mismatch:
    case identity_errc::node_id_not_in_certificate:
      return failure(provisioning_cause::root_mismatch,
                     "the certificate issued does not chain to the overlay's root: " + detail);
    default: return failure(provisioning_cause::local_failure, error.describe());
  }
}

std::string roots_pem(const std::vector<identity::node_certificate>& roots) {
  std::string pem;
  for (const auto& root : roots) pem += root.to_pem();
  return pem;
}

}  // namespace

const char* to_string(provisioning_cause cause) noexcept {
  switch (cause) {
    case provisioning_cause::unreachable: return "CA unreachable";
    case provisioning_cause::bad_document: return "bad configuration document";
    case provisioning_cause::root_mismatch: return "root mismatch";
    case provisioning_cause::wrong_password: return "wrong password";
    case provisioning_cause::token_used: return "token already used";
    case provisioning_cause::csr_refused: return "CSR refused";
    case provisioning_cause::no_credentials: return "no credentials";
    case provisioning_cause::local_failure: return "local failure";
  }
  return "unknown";
}

std::string provisioning_error::describe() const {
  return std::string(to_string(cause)) + ": " + reason;
}

std::optional<overlay_document> overlay_provisioning::saved_document() const {
  const auto path = dir_ / document_file;
  if (!fs::exists(path)) return std::nullopt;
  auto text = identity::read_file(path, max_overlay_document_bytes);
  if (!text) return std::nullopt;
  auto document = parse_overlay_document(*text, settings_.overlay_name, path.string());
  if (!document) return std::nullopt;
  // Expiry aside: the signature it was accepted with, its certificates valid
  // now (checking them at the dawn of time found every one not yet valid, so
  // a restart lost the saved root and could not reach the server).
  document_trust saved;
  saved.accept_expired = true;
  const auto checked = verify_overlay_document(*document, saved, std::chrono::system_clock::now());
  if (checked) return std::nullopt;
  return std::move(*document);
}

void overlay_provisioning::schedule_refetch(const overlay_document* fetched,
                                            identity::time_point now) const {
  constexpr auto retry = std::chrono::minutes(1);
  if (fetched == nullptr || !fetched->expiration || *fetched->expiration <= now + 2 * retry) {
    refetch_at_ = now + retry;
    return;
  }
  // Between half and nine tenths of the time left, so boxes spread out.
  std::random_device random;
  const double share = std::uniform_real_distribution<double>(0.5, 0.9)(random);
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(*fetched->expiration - now);
  refetch_at_ = now + std::chrono::seconds(static_cast<std::int64_t>(left.count() * share));
}

provisioning_result<overlay_document> overlay_provisioning::fetch(const overlay_document* previous,
                                                                  identity::time_point now) const {
  auto fetched = fetch_once(previous, now);
  schedule_refetch(fetched ? &*fetched : nullptr, now);
  return fetched;
}

provisioning_result<overlay_document> overlay_provisioning::fetch_once(
    const overlay_document* previous, identity::time_point now) const {
  if (settings_.configuration_url) {
    const auto& url = *settings_.configuration_url;
    // §11.2: the certificate must match the URL's host (parse_https_url set
    // tls_name to it).
    auto target = identity::parse_https_url(url);
    if (!target)
      return failure(provisioning_cause::bad_document, "'" + url + "' is not an https:// URL");
    return fetch_from(*target, url, previous, now);
  }
  // §11.2: no URL given: a DNS SRV query for reload-config over TCP finds
  // the server, the URL is the overlay name's, and the certificate must
  // match the overlay name. Without SRV records, the overlay name's own
  // address (RFC 2782's fallback).
  const auto& name = settings_.overlay_name;
  const std::string url = "https://" + name + std::string(well_known_path);
  const std::string query = "_reload-config._tcp." + name;
  std::vector<std::pair<identity::https_target, std::string>> targets;
  auto records = lookup_srv(query);
  if (records) {
    std::mt19937_64 random(std::random_device{}());
    for (auto& record : srv_try_order(std::move(*records), random)) {
      identity::https_target target;
      target.host = record.target;
      target.port = record.port;
      target.path = std::string(well_known_path);
      target.tls_name = name;
      targets.emplace_back(std::move(target), url + " at " + record.target + ":" +
                                                  std::to_string(record.port) + " (DNS SRV " +
                                                  query + ")");
    }
  } else if (records.error().no_records) {
    auto target = identity::parse_https_url(url);
    if (!target) {
      return failure(provisioning_cause::bad_document,
                     "overlay name '" + name + "' makes no https:// URL");
    }
    targets.emplace_back(std::move(*target),
                         url + " (DNS SRV " + query + ": " + records.error().reason + ")");
  } else {
    return failure(provisioning_cause::unreachable,
                   "no configuration URL given, and the DNS SRV lookup of " + query + " failed: " +
                       records.error().reason + " (give --config-url to fetch without DNS)");
  }
  std::string tried;
  for (const auto& [target, label] : targets) {
    auto fetched = fetch_from(target, label, previous, now);
    if (fetched || fetched.error().cause != provisioning_cause::unreachable) return fetched;
    tried += (tried.empty() ? "" : "; ") + fetched.error().reason;
  }
  return failure(provisioning_cause::unreachable, "tried " + tried);
}

provisioning_result<overlay_document> overlay_provisioning::fetch_from(
    identity::https_target target, const std::string& label, const overlay_document* previous,
    identity::time_point now) const {
  target.timeout = settings_.timeout;
  target.max_response_bytes = max_overlay_document_bytes;
  identity::https_trust trust;
  std::optional<identity::sha256_fingerprint> pin;
  if (settings_.token) pin = settings_.token->root;
  if (settings_.root) pin = settings_.root;
  if (previous != nullptr) {
    trust.roots = previous->root_certs;
  } else if (pin) {
    trust.root_pin = pin;
  } else {
    trust.system_roots = true;
  }
  identity::https_request request{http::verb::get, target.path, 11};
  request.set(http::field::host, target.tls_name);
  request.set(http::field::accept, overlay_document_type);
  auto response = identity::https_exchange(target, trust, std::move(request));
  if (!response) {
    const bool untrusted = response.error().code == identity::identity_errc::untrusted_chain;
    return failure(untrusted ? provisioning_cause::root_mismatch : provisioning_cause::unreachable,
                   "configuration server " + label + ": " + response.error().detail);
  }
  if (response->result() != http::status::ok) {
    return failure(provisioning_cause::bad_document,
                   label + " answered HTTP " + std::to_string(response->result_int()));
  }
  if ((*response)[http::field::content_type] != overlay_document_type) {
    return failure(provisioning_cause::bad_document,
                   label + " did not answer with " + std::string(overlay_document_type));
  }
  const std::string& xml = response->body();
  auto document = parse_overlay_document(xml, settings_.overlay_name, label);
  if (!document) return failure(provisioning_cause::bad_document, document.error().describe());
  if (auto refused = verify_overlay_document(*document, {previous, pin}, now)) {
    const bool root = refused->starts_with("root mismatch");
    return failure(root ? provisioning_cause::root_mismatch : provisioning_cause::bad_document,
                   label + ": " + *refused);
  }
  if (auto saved = identity::write_file_atomically(
          dir_ / roots_file, roots_pem(document->root_certs), identity::public_file_mode);
      !saved) {
    return failure(provisioning_cause::local_failure, saved.error().describe());
  }
  if (auto saved =
          identity::write_file_atomically(dir_ / document_file, xml, identity::public_file_mode);
      !saved) {
    return failure(provisioning_cause::local_failure, saved.error().describe());
  }
  return std::move(*document);
}

overlay_config overlay_provisioning::overlay_of(const overlay_document& document) const {
  overlay_config out = document.overlay;
  out.root_cert = dir_ / roots_file;
  return out;
}

provisioning_result<std::optional<identity::node_credentials>>
overlay_provisioning::saved_credentials() const {
  auto saved = identity::credential_store(dir_).load();
  // A key without a certificate is what an enrollment interrupted between
  // its two atomic writes leaves (credential_store saves the key first):
  // enrolling afresh replaces it.
  if (!saved && !fs::exists(dir_ / "node.crt")) return std::optional<identity::node_credentials>();
  if (!saved) return failure(provisioning_cause::local_failure, saved.error().describe());
  return std::move(*saved);
}

bool overlay_provisioning::usable(const identity::node_credentials& saved,
                                  const overlay_document& document,
                                  identity::time_point now) const {
  const identity::certificate_verifier verifier(
      {document.overlay.name, document.root_certs, false});
  return static_cast<bool>(verifier.verify(saved.certificate, {}, now));
}

std::optional<enrollment_secret> overlay_provisioning::configured_secret() const {
  if (settings_.token) {
    return enrollment_secret{settings_.token->user, settings_.token->secret, settings_.token->root};
  }
  if (settings_.user && settings_.password) {
    return enrollment_secret{*settings_.user, *settings_.password, std::nullopt};
  }
  return std::nullopt;
}

provisioning_result<identity::node_credentials> overlay_provisioning::credentials(
    const overlay_document& document, identity::time_point now) const {
  auto saved = saved_credentials();
  if (!saved) return saved.error();
  if (*saved && usable(**saved, document, now)) {
    if (!identity::due_for_renewal((*saved)->certificate, now)) return std::move(**saved);
    // Renewal: the same key and user, the current certificate as proof.
    auto current = (*saved)->certificate;
    return obtain(document, std::move((*saved)->key), nullptr, &current);
  }
  const auto secret = configured_secret();
  if (!secret) {
    return failure(provisioning_cause::no_credentials,
                   "not enrolled in " + document.overlay.name +
                       ": give an enrollment token (--token) or enroll with p2psipd --enroll USER");
  }
  auto fresh = identity::key_pair::generate(identity::key_algorithm::ecdsa_p256);
  if (!fresh) return failure(provisioning_cause::local_failure, fresh.error().describe());
  return obtain(document, std::move(*fresh), &*secret, nullptr);
}

provisioning_result<identity::node_credentials> overlay_provisioning::renew(
    const overlay_document& document, identity::time_point now) const {
  auto saved = saved_credentials();
  if (!saved) return saved.error();
  if (!*saved || !usable(**saved, document, now)) {
    return failure(provisioning_cause::no_credentials,
                   "the saved certificate is gone, expired or no longer chains to the overlay's "
                   "root: enroll again (p2psipctl enroll)");
  }
  auto current = (*saved)->certificate;
  return obtain(document, std::move((*saved)->key), nullptr, &current);
}

provisioning_result<identity::node_credentials> overlay_provisioning::enroll(
    const overlay_document& document, const enrollment_secret& secret) const {
  if (secret.root &&
      std::none_of(document.root_certs.begin(), document.root_certs.end(), [&](const auto& root) {
        return identity::fingerprint_of(root) == *secret.root;
      })) {
    return failure(provisioning_cause::root_mismatch,
                   "the token names root " + identity::to_string(*secret.root) +
                       ", not a root of " + document.overlay.name + "'s configuration");
  }
  auto saved = saved_credentials();
  if (!saved) return saved.error();
  if (*saved) return obtain(document, std::move((*saved)->key), &secret, nullptr);
  auto fresh = identity::key_pair::generate(identity::key_algorithm::ecdsa_p256);
  if (!fresh) return failure(provisioning_cause::local_failure, fresh.error().describe());
  return obtain(document, std::move(*fresh), &secret, nullptr);
}

provisioning_result<identity::node_credentials> overlay_provisioning::obtain(
    const overlay_document& document, identity::key_pair key, const enrollment_secret* secret,
    const identity::node_certificate* current) const {
  if (document.enrollment_servers.empty()) {
    return failure(provisioning_cause::no_credentials,
                   "the configuration names no enrollment server");
  }
  auto target = identity::parse_https_url(document.enrollment_servers.front());
  if (!target) {
    return failure(
        provisioning_cause::bad_document,
        "enrollment server '" + document.enrollment_servers.front() + "' is not an https:// URL");
  }
  identity::enrollment_request request;
  request.host = target->host;
  request.port = target->port;
  request.target = target->path;
  request.overlay = document.overlay.name;
  request.root_certs = document.root_certs;
  request.timeout = settings_.timeout;
  if (current != nullptr) {
    request.user_name = current->user_name().value_or("");
    request.client = identity::client_identity{&key, current};
  } else {
    request.user_name = secret->user;
    request.password = secret->password;
  }
  auto cert = identity::enroll(request, key);
  if (!cert) return enrollment_failure(cert.error());
  identity::node_credentials made{std::move(key), std::move(*cert), document.root_certs};
  if (auto stored = identity::credential_store(dir_).save(made); !stored) {
    return failure(provisioning_cause::local_failure, stored.error().describe());
  }
  return made;
}

}  // namespace p2psip::daemon
