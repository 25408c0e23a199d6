// One-time enrollment tokens (beyond §11.3, which knows only user and
// password): `p2psip-ca token` issues one per box for a user the admin
// names; the box sends it as that user's password, and it works once.
//
// On disk, one line per token, never the secret itself (0600):
//   user sha256-hex-of-secret unused|used
// A token is consumed only after its certificate was issued, so a refused
// CSR does not burn it.
//
// The box is handed the token text "USER/SECRET/ROOT-FINGERPRINT": the
// fingerprint (SHA-256 of the CA's root certificate, hex) lets it trust the
// configuration server before it has the overlay's root.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/https_client.hpp"
#include "identity/identity_error.hpp"

namespace p2psip::identity {

enum class token_check { unknown, unused, used };

class enrollment_tokens {
 public:
  // A missing file is an empty book.
  static result<enrollment_tokens> open(const std::filesystem::path& path);

  // A fresh secret (128 random bits as hex) for `user`, saved before it is returned.
  result<std::string> issue(const std::string& user);
  token_check check(std::string_view user, std::string_view secret) const;
  // Marks a token that check() found unused as used, on disk first.
  status consume(std::string_view user, std::string_view secret);

 private:
  struct entry {
    std::string user;
    std::string secret_hash;  // hex SHA-256
    bool used = false;
  };
  explicit enrollment_tokens(std::filesystem::path path) : path_(std::move(path)) {}
  status save() const;
  std::optional<std::size_t> find(std::string_view user, std::string_view secret) const;

  std::filesystem::path path_;
  std::vector<entry> entries_;
};

// What a box is given: the token and the root it may trust.
struct token_text {
  std::string user;
  std::string secret;
  sha256_fingerprint root;
};
std::string format_token(const token_text& token);
std::optional<token_text> parse_token(std::string_view text);

}  // namespace p2psip::identity
