// The overlay's enrollment CA (§11.3, §13.3): a root key and certificate, the
// issuing of node certificates with Node-IDs it picks at random, and the
// memory of which Node-IDs each user was given so a returning user keeps them.
//
// On disk (`p2psip-ca init`): DIR/ca.key (0600), DIR/ca.crt (the root-cert
// to publish; its CN is the overlay name) and DIR/assignments, one line per
// user: "user hex-node-id ...". Not thread-safe: one owner thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

namespace p2psip::identity {

// A key and the certificate issued for it.
struct issued_credentials {
  key_pair key;
  node_certificate certificate;
};

class certificate_authority {
 public:
  static constexpr std::chrono::seconds default_root_lifetime{std::chrono::hours(24 * 3650)};
  static constexpr std::chrono::seconds default_node_lifetime{std::chrono::hours(24 * 365)};

  // Creates the CA in `dir` (created if missing); refuses to overwrite one.
  static result<certificate_authority> init(const std::filesystem::path& dir,
                                            const std::string& overlay, time_point now,
                                            key_algorithm algorithm = key_algorithm::ecdsa_p256);
  static result<certificate_authority> open(const std::filesystem::path& dir);
  // A CA that lives in memory only (tests, simulations).
  static result<certificate_authority> in_memory(
      const std::string& overlay, time_point now,
      key_algorithm algorithm = key_algorithm::ecdsa_p256);

  const std::string& overlay() const noexcept { return overlay_; }
  const node_certificate& root() const noexcept { return root_; }

  // The user's Node-IDs: those assigned before, topped up with fresh random
  // ones to `count` (and remembered, on disk for a CA with a directory).
  result<std::vector<wire::node_id>> node_ids_for(const std::string& user_name,
                                                  std::size_t count);

  // A node certificate for `subject_key`: empty subject, `nodes` as reload:
  // URIs and `user_name` as rfc822Name, valid from `now` for `lifetime`.
  result<node_certificate> issue_node_certificate(
      EVP_PKEY* subject_key, const std::vector<wire::node_id>& nodes,
      const std::string& user_name, time_point now,
      std::chrono::seconds lifetime = default_node_lifetime) const;

  // node_ids_for + a fresh key + issue_node_certificate: offline enrollment.
  result<issued_credentials> enroll_offline(const std::string& user_name, std::size_t node_ids,
                                            time_point now,
                                            key_algorithm algorithm = key_algorithm::ecdsa_p256);

  // A TLS server certificate for the enrollment server, named after the
  // overlay as §11.3 requires (RFC 2818 matching), plus `extra_names`: DNS
  // names, and IP literals as iPAddress names (a configuration URL by address).
  result<issued_credentials> issue_server_certificate(
      time_point now, const std::vector<std::string>& extra_names = {}) const;

 private:
  certificate_authority(std::optional<std::filesystem::path> dir, std::string overlay,
                        key_pair key, node_certificate root,
                        std::map<std::string, std::vector<wire::node_id>> assignments);
  status save_assignments() const;

  std::optional<std::filesystem::path> dir_;
  std::string overlay_;
  key_pair key_;
  node_certificate root_;
  std::map<std::string, std::vector<wire::node_id>> assignments_;
};

}  // namespace p2psip::identity
