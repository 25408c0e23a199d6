#include "identity/certificate_authority.hpp"

#include <algorithm>

#include <arpa/inet.h>

#include <sstream>

#include <openssl/rand.h>

#include "identity/atomic_file.hpp"
#include "identity/certificate_builder.hpp"

namespace p2psip::identity {
namespace {

namespace fs = std::filesystem;

constexpr const char* key_file = "ca.key";
constexpr const char* root_file = "ca.crt";
constexpr const char* assignments_file = "assignments";
constexpr std::size_t max_assignments_bytes = 64 * 1024 * 1024;
// Certificates start a little in the past so peers with slightly slow clocks
// do not see them as not yet valid.
constexpr std::chrono::minutes clock_skew_allowance{5};

result<node_certificate> make_root(const key_pair& key, const std::string& overlay,
                                   time_point now) {
  certificate_spec spec;
  spec.subject_key = key.native();
  spec.common_name = overlay;
  spec.certificate_authority = true;
  spec.not_before = now - clock_skew_allowance;
  spec.not_after = now + certificate_authority::default_root_lifetime;
  return issue_certificate(spec, key, nullptr);
}

result<std::map<std::string, std::vector<wire::node_id>>> load_assignments(const fs::path& path) {
  std::map<std::string, std::vector<wire::node_id>> out;
  if (!fs::exists(path)) return out;
  auto text = read_file(path, max_assignments_bytes);
  if (!text) return text.error();
  std::istringstream lines(*text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::istringstream fields(line);
    std::string user;
    std::string hex;
    if (!(fields >> user)) continue;
    auto& ids = out[user];
    while (fields >> hex) {
      auto node = wire::node_id::from_hex(hex);
      if (!node) {
        return identity_error{identity_errc::io_error,
                              path.string() + ":" + std::to_string(number) + ": bad Node-ID"};
      }
      ids.push_back(*node);
    }
  }
  return out;
}

}  // namespace

certificate_authority::certificate_authority(
    std::optional<fs::path> dir, std::string overlay, key_pair key, node_certificate root,
    std::map<std::string, std::vector<wire::node_id>> assignments)
    : dir_(std::move(dir)),
      overlay_(std::move(overlay)),
      key_(std::move(key)),
      root_(std::move(root)),
      assignments_(std::move(assignments)) {}

result<certificate_authority> certificate_authority::in_memory(const std::string& overlay,
                                                               time_point now,
                                                               key_algorithm algorithm) {
  auto key = key_pair::generate(algorithm);
  if (!key) return key.error();
  auto root = make_root(*key, overlay, now);
  if (!root) return root.error();
  return certificate_authority(std::nullopt, overlay, std::move(*key), std::move(*root), {});
}

result<certificate_authority> certificate_authority::init(const fs::path& dir,
                                                          const std::string& overlay,
                                                          time_point now,
                                                          key_algorithm algorithm) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return identity_error{identity_errc::io_error, dir.string() + ": " + ec.message()};
  if (fs::exists(dir / key_file) || fs::exists(dir / root_file)) {
    return identity_error{identity_errc::io_error, dir.string() + " already holds a CA"};
  }
  auto ca = in_memory(overlay, now, algorithm);
  if (!ca) return ca.error();
  // The key first: a root certificate without its key would be useless.
  if (auto saved = ca->key_.save(dir / key_file); !saved) return saved.error();
  if (auto saved = ca->root_.save(dir / root_file); !saved) return saved.error();
  ca->dir_ = dir;
  return ca;
}

result<certificate_authority> certificate_authority::open(const fs::path& dir) {
  auto key = key_pair::load(dir / key_file);
  if (!key) return key.error();
  auto root = node_certificate::load(dir / root_file);
  if (!root) return root.error();
  if (EVP_PKEY_eq(key->native(), root->public_key()) != 1) {
    return identity_error{identity_errc::key_certificate_mismatch,
                          (dir / root_file).string() + " is not for " +
                              (dir / key_file).string()};
  }
  char overlay[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(root->native()), NID_commonName, overlay,
                                sizeof overlay) <= 0) {
    return identity_error{identity_errc::malformed_certificate,
                          (dir / root_file).string() + " has no overlay name (CN)"};
  }
  auto assignments = load_assignments(dir / assignments_file);
  if (!assignments) return assignments.error();
  return certificate_authority(dir, overlay, std::move(*key), std::move(*root),
                               std::move(*assignments));
}

status certificate_authority::save_assignments() const {
  if (!dir_) return {};
  std::string text;
  for (const auto& [user, ids] : assignments_) {
    text += user;
    for (const auto& id : ids) text += " " + id.hex();
    text += "\n";
  }
  return write_file_atomically(*dir_ / assignments_file, text, secret_file_mode);
}

result<std::vector<wire::node_id>> certificate_authority::node_ids_for(
    const std::string& user_name, std::size_t count) {
  auto& ids = assignments_[user_name];
  const std::size_t known = ids.size();
  while (ids.size() < count) {
    wire::node_id::bytes_type bytes;
    if (RAND_priv_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      ids.resize(known);
      return openssl_error(identity_errc::crypto_failure, "no randomness for Node-IDs");
    }
    ids.emplace_back(bytes);
  }
  if (ids.size() != known) {
    if (auto saved = save_assignments(); !saved) {
      ids.resize(known);
      return saved.error();
    }
  }
  return std::vector<wire::node_id>(ids.begin(), ids.begin() + static_cast<long>(count));
}

result<node_certificate> certificate_authority::issue_node_certificate(
    EVP_PKEY* subject_key, const std::vector<wire::node_id>& nodes, const std::string& user_name,
    time_point now, std::chrono::seconds lifetime) const {
  if (!is_valid_user_name(user_name)) {
    return identity_error{identity_errc::invalid_user_name, user_name};
  }
  certificate_spec spec;
  spec.subject_key = subject_key;
  spec.node_ids = nodes;
  spec.overlay = overlay_;
  spec.user_name = user_name;
  // At most a tenth of a short lifetime: nodes renew at two thirds of
  // notBefore..notAfter, which five minutes back would put at issuance.
  spec.not_before = now - std::min<std::chrono::seconds>(clock_skew_allowance, lifetime / 10);
  spec.not_after = now + lifetime;
  return issue_certificate(spec, key_, &root_);
}

result<issued_credentials> certificate_authority::enroll_offline(const std::string& user_name,
                                                                 std::size_t node_ids,
                                                                 time_point now,
                                                                 key_algorithm algorithm) {
  if (!is_valid_user_name(user_name)) {
    return identity_error{identity_errc::invalid_user_name, user_name};
  }
  auto key = key_pair::generate(algorithm);
  if (!key) return key.error();
  auto nodes = node_ids_for(user_name, node_ids);
  if (!nodes) return nodes.error();
  auto cert = issue_node_certificate(key->native(), *nodes, user_name, now);
  if (!cert) return cert.error();
  return issued_credentials{std::move(*key), std::move(*cert)};
}

result<issued_credentials> certificate_authority::issue_server_certificate(
    time_point now, const std::vector<std::string>& extra_names) const {
  auto key = key_pair::generate(key_algorithm::ecdsa_p256);
  if (!key) return key.error();
  certificate_spec spec;
  spec.subject_key = key->native();
  spec.common_name = overlay_;
  spec.dns_names = {overlay_};
  for (const auto& name : extra_names) {
    in6_addr scratch{};
    const bool is_address = ::inet_pton(AF_INET, name.c_str(), &scratch) == 1 ||
                            ::inet_pton(AF_INET6, name.c_str(), &scratch) == 1;
    (is_address ? spec.ip_addresses : spec.dns_names).push_back(name);
  }
  spec.not_before = now - clock_skew_allowance;
  spec.not_after = now + default_node_lifetime;
  auto cert = issue_certificate(spec, key_, &root_);
  if (!cert) return cert.error();
  return issued_credentials{std::move(*key), std::move(*cert)};
}

}  // namespace p2psip::identity
