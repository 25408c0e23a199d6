#include "identity/credential_store.hpp"

#include <algorithm>
#include <string>
#include <string_view>

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

status ensure_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir)) {
    fs::create_directories(dir, ec);
    if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
    if (ec) return identity_error{identity_errc::io_error, dir.string() + ": " + ec.message()};
  }
  return {};
}

constexpr char hex_digits[] = "0123456789abcdef";

std::optional<key_seed> parse_seed(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  key_seed seed{};
  if (text.size() != 2 * seed.size()) return std::nullopt;
  const auto digit = [](char c) -> int {
    const auto* at = std::char_traits<char>::find(hex_digits, 16, c);
    return at == nullptr ? -1 : static_cast<int>(at - hex_digits);
  };
  for (std::size_t i = 0; i < seed.size(); ++i) {
    const int high = digit(text[2 * i]);
    const int low = digit(text[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    seed[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return seed;
}

}  // namespace

result<key_seed> credential_store::load_or_create_seed(std::string_view name) const {
  const auto path = dir_ / name;
  if (fs::exists(path)) {
    // Read more than a seed's size, so that a longer file is called what it is.
    auto text = read_secret_file(path, 4096);
    if (!text) return text.error();
    auto seed = parse_seed(*text);
    std::fill(text->begin(), text->end(), '\0');
    if (!seed) {
      return identity_error{identity_errc::malformed_key,
                            path.string() + ": not a key seed (64 lowercase hex digits)"};
    }
    return *seed;
  }
  auto seed = key_pair::generate_seed();
  if (!seed) return seed.error();
  if (auto made = ensure_directory(dir_); !made) return made.error();
  std::string text;
  for (const auto byte : *seed) {
    text += hex_digits[byte >> 4];
    text += hex_digits[byte & 0xf];
  }
  text += '\n';
  auto written = write_file_atomically(path, text, secret_file_mode);
  std::fill(text.begin(), text.end(), '\0');
  if (!written) return written.error();
  return seed;
}

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
  if (auto made = ensure_directory(dir_); !made) return made;
  // The key first: a certificate saved without its key would be useless.
  if (auto saved = credentials.key.save(dir_ / key_file); !saved) return saved;
  if (auto saved = credentials.certificate.save(dir_ / certificate_file); !saved) return saved;
  if (credentials.root_certs.empty()) {
    std::error_code ec;
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
