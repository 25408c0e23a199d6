// A box that knows only its overlay's name: the §11.2 configuration fetch
// and the §11.3 enrollment, and what they keep in the state directory:
//   overlay.xml        the last valid configuration document, as fetched
//   overlay-root.crt   its root-certs (PEM), what overlay.root-cert points at
//   node.key (0600), node.crt, root.crt   the credentials (credential_store)
// Every file is replaced atomically, and only once what it holds was checked.
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "daemon/overlay_document.hpp"
#include "identity/credential_store.hpp"
#include "identity/enrollment_tokens.hpp"
#include "identity/https_client.hpp"
#include "wire/basic_result.hpp"

namespace p2psip::daemon {

// What the admin gave the box (command line or YAML).
struct provisioning_settings {
  std::string overlay_name;
  // Else §11.2's DNS SRV lookup of _reload-config._tcp.NAME, the URL being
  // https://NAME/.well-known/reload-config.
  std::optional<std::string> configuration_url;
  std::optional<identity::token_text> token;  // one-time token: user, secret, root fingerprint
  std::optional<std::string> user;            // interactive enrollment (p2psipd --enroll)
  std::optional<std::string> password;
  // The CA root's fingerprint (p2psipd --root), for a box without a token.
  std::optional<identity::sha256_fingerprint> root;
  std::chrono::seconds timeout{10};
};

// Each cause an operator must act on differently.
enum class provisioning_cause {
  unreachable,     // configuration or enrollment server: retried with backoff
  bad_document,    // invalid, tampered, wrong overlay name, expired
  root_mismatch,   // the root is not the one this box was given / does not chain
  wrong_password,  // failed_authentication: unknown user, wrong password or token
  token_used,      // the one-time token was used already
  csr_refused,     // bad_CSR, username_not_available, Node-IDs_not_available
  no_credentials,  // not enrolled, and nothing to enroll with
  local_failure,   // the state directory could not be written, and the like
};
const char* to_string(provisioning_cause cause) noexcept;

struct provisioning_error {
  provisioning_cause cause{};
  std::string reason;
  bool retry_later() const noexcept { return cause == provisioning_cause::unreachable; }
  std::string describe() const;
};

// What enrolls a box (§11.3): a user's password, or a one-time token (sent
// as the token's user's password) with the root it names.
struct enrollment_secret {
  std::string user;
  std::string password;
  std::optional<identity::sha256_fingerprint> root;  // a token's: must be the document's
};

template <class T>
using provisioning_result = wire::basic_result<T, provisioning_error>;

class overlay_provisioning {
 public:
  overlay_provisioning(std::filesystem::path state_dir, provisioning_settings settings)
      : dir_(std::move(state_dir)), settings_(std::move(settings)) {}

  // The document kept from an earlier fetch, if it still parses and is
  // signed as it was when it was accepted.
  std::optional<overlay_document> saved_document() const;

  // §11.2: GET over HTTPS (at the configuration URL, else at each target
  // of the overlay name's SRV records in RFC 2782 order, else at the
  // overlay name), the server's certificate checked against the
  // previous document's roots, else the token's root fingerprint, else the
  // system's; then parse_overlay_document and verify_overlay_document. A
  // valid document is saved before it is returned.
  provisioning_result<overlay_document> fetch(const overlay_document* previous,
                                              identity::time_point now) const;

  // The overlay section the daemon runs on: the document's, with root-cert
  // pointing at overlay-root.crt.
  overlay_config overlay_of(const overlay_document& document) const;

  // §11.3: the saved credentials while they chain to the document's roots
  // and are not due for renewal; else enrollment with the token or the
  // user's password (a fresh key), or renewal showing the current
  // certificate (same key, same Node-IDs). Saved on success only.
  provisioning_result<identity::node_credentials> credentials(const overlay_document& document,
                                                              identity::time_point now) const;

  // Renewal while running: the saved credentials renewed at the enrollment
  // server (same key and Node-IDs, the current certificate as proof), saved
  // on success only. no_credentials once they no longer chain or expired.
  provisioning_result<identity::node_credentials> renew(const overlay_document& document,
                                                        identity::time_point now) const;

  // p2psipctl enroll: enrollment with `secret`, for the saved key when there
  // is one (so a re-enrolled node keeps it), else a fresh one. Saved on
  // success only.
  provisioning_result<identity::node_credentials> enroll(const overlay_document& document,
                                                         const enrollment_secret& secret) const;

  // §11.1: "retrieve a new copy of the configuration at a randomly
  // selected time that is before the expiration time": true once that time,
  // picked at each successful fetch (a failed one retries a minute later).
  bool refetch_due(identity::time_point now) const noexcept {
    return refetch_at_ && now >= *refetch_at_;
  }

  const provisioning_settings& settings() const noexcept { return settings_; }
  const std::filesystem::path& state_dir() const noexcept { return dir_; }

 private:
  provisioning_result<overlay_document> fetch_once(const overlay_document* previous,
                                                   identity::time_point now) const;
  // One GET at `target`; `label` names it in errors (the URL, and the SRV
  // target it was found at).
  provisioning_result<overlay_document> fetch_from(identity::https_target target,
                                                   const std::string& label,
                                                   const overlay_document* previous,
                                                   identity::time_point now) const;
  void schedule_refetch(const overlay_document* fetched, identity::time_point now) const;
  // The saved credentials (nullopt for none, or a key left without its
  // certificate), and whether they chain to the document's roots now.
  provisioning_result<std::optional<identity::node_credentials>> saved_credentials() const;
  bool usable(const identity::node_credentials& saved, const overlay_document& document,
              identity::time_point now) const;
  // The configured token or password, if any.
  std::optional<enrollment_secret> configured_secret() const;
  // A certificate from the document's enrollment server for `key`, shown
  // `secret` or (renewal) `current`; saved with the key on success.
  provisioning_result<identity::node_credentials> obtain(
      const overlay_document& document, identity::key_pair key, const enrollment_secret* secret,
      const identity::node_certificate* current) const;

  std::filesystem::path dir_;
  provisioning_settings settings_;
  mutable std::optional<identity::time_point> refetch_at_;  // moved by every fetch
};

}  // namespace p2psip::daemon
