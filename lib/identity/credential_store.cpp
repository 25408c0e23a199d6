#include "identity/credential_store.hpp"

#include <algorithm>

#include "identity/atomic_file.hpp"
#include "identity/certificate_verifier.hpp"

namespace p2psip::identity {
namespace {

namespace fs = std::filesystem;

constexpr const char* key_file = "node.key";
constexpr const char* certificate_file = "node.crt";
constexpr const char* roots_file = "root.crt";

bool fits(const node_certificate& cert, const self_signed_request& request, time_point now) {
  const auto& uris = cert.node_uris();
  return cert.is_self_issued() && cert.check_validity(now).ok() &&
         cert.user_name() == request.user_name && uris.size() == request.node_id_count &&
         std::all_of(uris.begin(), uris.end(),
                     [&](const node_uri& uri) { return uri.overlay == request.overlay; }) &&
         check_self_signed_node_ids(cert, request.digest).ok();
}

}  // namespace

result<std::optional<node_credentials>> credential_store::load() const {
  if (!fs::exists(dir_ / key_file) && !fs::exists(dir_ / certificate_file)) {
    return std::optional<node_credentials>();
  }
  auto key = key_pair::load(dir_ / key_file);
  if (!key) return key.error();
  auto cert = node_certificate::load(dir_ / certificate_file);
  if (!cert) return cert.error();
  if (EVP_PKEY_eq(key->native(), cert->public_key()) != 1) {
    return identity_error{identity_errc::key_certificate_mismatch,
                          (dir_ / certificate_file).string() + " is not for " +
                              (dir_ / key_file).string()};
  }
  std::vector<node_certificate> roots;
  if (fs::exists(dir_ / roots_file)) {
    auto loaded = node_certificate::load_all(dir_ / roots_file);
    if (!loaded) return loaded.error();
    roots = std::move(*loaded);
  }
  return std::optional<node_credentials>(
      node_credentials{std::move(*key), std::move(*cert), std::move(roots)});
}

status credential_store::save(const node_credentials& credentials) const {
  std::error_code ec;
  if (!fs::exists(dir_)) {
    fs::create_directories(dir_, ec);
    if (!ec) fs::permissions(dir_, fs::perms::owner_all, ec);
    if (ec) return identity_error{identity_errc::io_error, dir_.string() + ": " + ec.message()};
  }
  // The key first: a certificate saved without its key would be useless.
  if (auto saved = credentials.key.save(dir_ / key_file); !saved) return saved;
  if (auto saved = credentials.certificate.save(dir_ / certificate_file); !saved) return saved;
  if (credentials.root_certs.empty()) {
    fs::remove(dir_ / roots_file, ec);
    return {};
  }
  std::string pem;
  for (const auto& root : credentials.root_certs) pem += root.to_pem();
  return write_file_atomically(dir_ / roots_file, pem, public_file_mode);
}

result<key_pair> credential_store::saved_or_new_key(key_algorithm algorithm) const {
  if (fs::exists(dir_ / key_file)) return key_pair::load(dir_ / key_file);
  return key_pair::generate(algorithm);
}

result<node_credentials> credential_store::load_or_create_self_signed(
    const self_signed_request& request, time_point now, key_algorithm algorithm) const {
  auto saved = load();
  if (!saved) return saved.error();
  if (*saved && fits((*saved)->certificate, request, now)) return std::move(**saved);

  auto key = saved_or_new_key(algorithm);
  if (!key) return key.error();
  auto cert = make_self_signed_certificate(*key, request, now);
  if (!cert) return cert.error();
  node_credentials made{std::move(*key), std::move(*cert), {}};
  if (auto stored = save(made); !stored) return stored.error();
  return made;
}

result<node_credentials> credential_store::load_or_enroll(const enrollment_request& request,
                                                          time_point now,
                                                          key_algorithm algorithm) const {
  auto saved = load();
  if (!saved) return saved.error();
  const certificate_verifier verifier({request.overlay, request.root_certs, false});
  if (*saved && verifier.verify((*saved)->certificate, {}, now)) return std::move(**saved);

  auto key = saved_or_new_key(algorithm);
  if (!key) return key.error();
  auto cert = enroll(request, *key);
  if (!cert) return cert.error();
  node_credentials made{std::move(*key), std::move(*cert), request.root_certs};
  if (auto stored = save(made); !stored) return stored.error();
  return made;
}

}  // namespace p2psip::identity
