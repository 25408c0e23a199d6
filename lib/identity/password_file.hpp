// The enrollment server's accounts (§11.3: username and password, compared
// as binary UTF-8 strings). One line per user, never the password itself:
//   name:pbkdf2-sha256:ITERATIONS:SALT_HEX:HASH_HEX[:digest-md5=HA1_HEX]
//       [:digest-sha256=HA1_HEX]
// The optional fields (written for names of the form local@domain) are the
// SIP digest H(A1) = H(local ":" domain ":" password) for H = MD5 and
// SHA-256 (RFC 8760), so the CA can check a softphone's digest answer
// (account_digest.hpp) with either; a user is challenged with the algorithms
// its line holds. Lines with neither still enroll with the password, and
// their users get no digest challenge. Lines written before SHA-256 (MD5
// only) keep working. Lines that are empty or start with '#' are ignored.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "identity/account_digest.hpp"
#include "identity/identity_error.hpp"

namespace p2psip::identity {

class password_file {
 public:
  static constexpr unsigned default_iterations = 100000;

  static result<password_file> parse(std::string_view text);
  static result<password_file> load(const std::filesystem::path& path);

  // A line for `name` with a fresh random salt (for `p2psip-ca passwd`),
  // with the digest H(A1) of each of `digests` when name is local@domain.
  static result<std::string> make_entry(
      std::string_view name, std::string_view password, unsigned iterations = default_iterations,
      std::span<const digest_algorithm> digests = digest_algorithms);

  // True only for a known user with this exact password (constant-time compare).
  bool authenticate(std::string_view name, std::string_view password) const;
  // The user's digest H(A1) for `algorithm` (lower-case hex), nullopt for an
  // unknown user or a line without one.
  std::optional<std::string> digest_ha1(std::string_view name, digest_algorithm algorithm) const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    unsigned iterations = 0;
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> hash;
    std::optional<std::string> digest_md5;
    std::optional<std::string> digest_sha256;
  };
  std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace p2psip::identity
