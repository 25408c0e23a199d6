#include "identity/enrollment_tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "identity/atomic_file.hpp"
#include "identity/node_certificate.hpp"
#include "wire/ids.hpp"

namespace p2psip::identity {
namespace {

constexpr std::size_t secret_bytes = 16;
constexpr std::size_t max_file_bytes = 16 * 1024 * 1024;

std::string hash_hex(std::string_view secret) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> hash{};
  unsigned length = 0;
  EVP_Digest(secret.data(), secret.size(), hash.data(), &length, EVP_sha256(), nullptr);
  return wire::to_hex(std::span<const std::uint8_t>(hash.data(), length));
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

result<enrollment_tokens> enrollment_tokens::open(const std::filesystem::path& path) {
  enrollment_tokens out(path);
  if (!std::filesystem::exists(path)) return out;
  auto text = read_secret_file(path, max_file_bytes);
  if (!text) return text.error();
  std::size_t start = 0;
  int number = 0;
  while (start < text->size()) {
    const auto end = std::min(text->find('\n', start), text->size());
    const std::string line = text->substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.empty()) continue;
    const auto first = line.find(' ');
    const auto second = first == std::string::npos ? first : line.find(' ', first + 1);
    entry e;
    if (second != std::string::npos) {
      e.user = line.substr(0, first);
      e.secret_hash = line.substr(first + 1, second - first - 1);
      const auto state = line.substr(second + 1);
      e.used = state == "used";
      if (is_valid_user_name(e.user) && e.secret_hash.size() == 64 &&
          (state == "used" || state == "unused")) {
        out.entries_.push_back(std::move(e));
        continue;
      }
    }
    return identity_error{identity_errc::io_error, path.string() + " line " +
                                                       std::to_string(number) +
                                                       ": expected USER SHA256-HEX unused|used"};
  }
  return out;
}

result<std::string> enrollment_tokens::issue(const std::string& user) {
  if (!is_valid_user_name(user)) {
    return identity_error{identity_errc::invalid_user_name, "'" + user + "' is not local@domain"};
  }
  std::array<std::uint8_t, secret_bytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return openssl_error(identity_errc::crypto_failure, "no randomness for a token");
  }
  std::string secret = wire::to_hex(random);
  entries_.push_back({user, hash_hex(secret), false});
  if (auto saved = save(); !saved) {
    entries_.pop_back();
    return saved.error();
  }
  return secret;
}

std::optional<std::size_t> enrollment_tokens::find(std::string_view user,
                                                   std::string_view secret) const {
  const auto hash = hash_hex(secret);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].user == user && same(entries_[i].secret_hash, hash)) return i;
  }
  return std::nullopt;
}

token_check enrollment_tokens::check(std::string_view user, std::string_view secret) const {
  const auto found = find(user, secret);
  if (!found) return token_check::unknown;
  return entries_[*found].used ? token_check::used : token_check::unused;
}

status enrollment_tokens::consume(std::string_view user, std::string_view secret) {
  const auto found = find(user, secret);
  if (!found || entries_[*found].used) {
    return identity_error{identity_errc::enrollment_refused, "no unused token to consume"};
  }
  entries_[*found].used = true;
  if (auto saved = save(); !saved) {
    entries_[*found].used = false;
    return saved.error();
  }
  return {};
}

status enrollment_tokens::save() const {
  std::string text;
  for (const auto& e : entries_) {
    text += e.user + " " + e.secret_hash + (e.used ? " used\n" : " unused\n");
  }
  return write_file_atomically(path_, text, secret_file_mode);
}

std::string format_token(const token_text& token) {
  return token.user + "/" + token.secret + "/" + wire::to_hex(token.root);
}

std::optional<token_text> parse_token(std::string_view text) {
  const auto first = text.find('/');
  const auto last = text.rfind('/');
  if (first == std::string_view::npos || first == last) return std::nullopt;
  token_text out;
  out.user = std::string(text.substr(0, first));
  out.secret = std::string(text.substr(first + 1, last - first - 1));
  const auto root = parse_fingerprint("sha256:" + std::string(text.substr(last + 1)));
  if (!root || !is_valid_user_name(out.user) || out.secret.size() != 2 * secret_bytes ||
      !wire::from_hex(out.secret)) {
    return std::nullopt;
  }
  out.root = *root;
  return out;
}

}  // namespace p2psip::identity
