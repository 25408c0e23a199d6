// The enrollment server's accounts (§11.3: username and password, compared
// as binary UTF-8 strings). One line per user, never the password itself:
//   name:pbkdf2-sha256:ITERATIONS:SALT_HEX:HASH_HEX[:digest-md5=HA1_HEX]
// The optional last field (written for names of the form local@domain) is
// the SIP digest H(A1) = MD5(local ":" domain ":" password), so the CA can
// check a softphone's digest answer (account_digest.hpp); lines without it
// still enroll with the password, and their users get no digest challenge.
// Lines that are empty or start with '#' are ignored.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/identity_error.hpp"

namespace p2psip::identity {

class password_file {
 public:
  static constexpr unsigned default_iterations = 100000;

  static result<password_file> parse(std::string_view text);
  static result<password_file> load(const std::filesystem::path& path);

  // A line for `name` with a fresh random salt (for `p2psip-ca passwd`).
  static result<std::string> make_entry(std::string_view name, std::string_view password,
                                        unsigned iterations = default_iterations);

  // True only for a known user with this exact password (constant-time compare).
  bool authenticate(std::string_view name, std::string_view password) const;
  // The user's digest H(A1) (lower-case hex), nullopt for an unknown user or
  // a line without one.
  std::optional<std::string> digest_ha1(std::string_view name) const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    unsigned iterations = 0;
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> hash;
    std::optional<std::string> digest_ha1;
  };
  std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace p2psip::identity
