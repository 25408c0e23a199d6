// A node's credentials in its state directory, so a restart keeps its
// Node-IDs: DIR/node.key (0600), DIR/node.crt and, when enrolled, DIR/root.crt
// (the overlay's root-certs, PEM). Each file is replaced atomically.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "identity/enrollment_client.hpp"
#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"
#include "identity/self_signed.hpp"

namespace p2psip::identity {

struct node_credentials {
  key_pair key;
  node_certificate certificate;
  std::vector<node_certificate> root_certs;  // empty for self-signed
};

class credential_store {
 public:
  explicit credential_store(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // nullopt when nothing was saved yet; an error for unreadable or mismatched
  // files (a key the certificate is not for, a key file others can read).
  result<std::optional<node_credentials>> load() const;
  // Creates the directory (0700) if needed.
  status save(const node_credentials& credentials) const;

  // Self-signed mode (§11.3.1): the saved credentials if they still fit the
  // request; else a new certificate for the saved key (so the same Node-IDs);
  // else a new key. Whatever was made is saved.
  result<node_credentials> load_or_create_self_signed(
      const self_signed_request& request, time_point now,
      key_algorithm algorithm = key_algorithm::ecdsa_p256) const;

  // CA-enrolled mode (§11.3): the saved credentials if their certificate is
  // still valid under the request's root-certs; else enrolls the saved key
  // (or a new one) and saves the result.
  result<node_credentials> load_or_enroll(const enrollment_request& request, time_point now,
                                          key_algorithm algorithm = key_algorithm::ecdsa_p256) const;

  // The seed named `name` in the directory (0600, 64 hex digits), made and
  // saved on first use: keys derived from it (key_pair::derive) stay the
  // same across restarts without being stored one by one.
  result<key_seed> load_or_create_seed(std::string_view name) const;

  const std::filesystem::path& directory() const noexcept { return dir_; }

 private:
  result<key_pair> saved_or_new_key(key_algorithm algorithm) const;

  std::filesystem::path dir_;
};

}  // namespace p2psip::identity
