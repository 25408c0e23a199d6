#include "identity/password_file.hpp"

#include <algorithm>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "identity/account_digest.hpp"
#include "identity/atomic_file.hpp"
#include "wire/ids.hpp"

namespace p2psip::identity {
namespace {

constexpr std::string_view scheme = "pbkdf2-sha256";
// The optional digest fields' names (password_file.hpp).
std::string_view digest_field(digest_algorithm algorithm) {
  return algorithm == digest_algorithm::sha256 ? "digest-sha256=" : "digest-md5=";
}
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;
constexpr std::size_t max_file_bytes = 16 * 1024 * 1024;
// Bounds the work one login can cost the server, whatever the file says.
constexpr unsigned max_iterations = 10'000'000;

std::vector<std::uint8_t> derive(std::string_view password, const std::vector<std::uint8_t>& salt,
                                 unsigned iterations) {
  std::vector<std::uint8_t> out(hash_bytes);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    out.clear();
  }
  return out;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> fields;
  for (std::size_t pos; (pos = line.find(sep)) != std::string_view::npos;) {
    fields.push_back(line.substr(0, pos));
    line.remove_prefix(pos + 1);
  }
  fields.push_back(line);
  return fields;
}

}  // namespace

result<password_file> password_file::parse(std::string_view text) {
  password_file out;
  int number = 0;
  for (const auto line : split(text, '\n')) {
    ++number;
    if (line.empty() || line.front() == '#') continue;
    const auto fields = split(line, ':');
    const auto bad = [&](const char* why) {
      return identity_error{identity_errc::io_error,
                            "users file line " + std::to_string(number) + ": " + why};
    };
    if (fields.size() < 5 || fields.size() > 7 || fields[0].empty() || fields[1] != scheme) {
      return bad(
          "expected name:pbkdf2-sha256:ITERATIONS:SALT_HEX:HASH_HEX[:digest-md5=HA1_HEX]"
          "[:digest-sha256=HA1_HEX]");
    }
    entry e;
    for (std::size_t i = 5; i < fields.size(); ++i) {
      const auto field = fields[i];
      const auto algorithm = field.starts_with(digest_field(digest_algorithm::sha256))
                                 ? digest_algorithm::sha256
                                 : digest_algorithm::md5;
      auto& ha1 = algorithm == digest_algorithm::sha256 ? e.digest_sha256 : e.digest_md5;
      const auto hex = field.substr(std::min(field.size(), digest_field(algorithm).size()));
      if (!field.starts_with(digest_field(algorithm)) || hex.size() != digest_hex_size(algorithm) ||
          hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
        return bad("bad digest field (digest-md5=32 or digest-sha256=64 lower-case hex digits)");
      }
      if (ha1) return bad("a digest field twice");
      ha1 = std::string(hex);
    }
    try {
      e.iterations = static_cast<unsigned>(std::stoul(std::string(fields[2])));
    } catch (const std::exception&) {
      return bad("bad iteration count");
    }
    auto salt = wire::from_hex(fields[3]);
    auto hash = wire::from_hex(fields[4]);
    if (e.iterations == 0 || e.iterations > max_iterations) return bad("bad iteration count");
    if (!salt || salt->empty() || !hash || hash->size() != hash_bytes)
      return bad("bad salt or hash");
    e.salt = std::move(*salt);
    e.hash = std::move(*hash);
    if (!out.entries_.emplace(std::string(fields[0]), std::move(e)).second) {
      return bad("duplicate user");
    }
  }
  return out;
}

result<password_file> password_file::load(const std::filesystem::path& path) {
  auto text = read_file(path, max_file_bytes);
  if (!text) return text.error();
  auto parsed = parse(*text);
  if (!parsed)
    return identity_error{parsed.error().code, path.string() + ": " + parsed.error().detail};
  return parsed;
}

result<std::string> password_file::make_entry(std::string_view name, std::string_view password,
                                              unsigned iterations,
                                              std::span<const digest_algorithm> digests) {
  if (name.empty() || name.find_first_of(":\n") != std::string_view::npos) {
    return identity_error{identity_errc::invalid_user_name, "user names cannot contain ':'"};
  }
  std::vector<std::uint8_t> salt(salt_bytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return openssl_error(identity_errc::crypto_failure, "no randomness for salt");
  }
  const auto hash = derive(password, salt, iterations);
  if (hash.empty()) return openssl_error(identity_errc::crypto_failure, "PBKDF2 failed");
  std::ostringstream line;
  line << name << ':' << scheme << ':' << iterations << ':' << wire::to_hex(salt) << ':'
       << wire::to_hex(hash);
  if (const auto at = name.find('@'); at != std::string_view::npos && at > 0) {
    // One fixed order, whatever the order of `digests`.
    for (const auto algorithm : {digest_algorithm::md5, digest_algorithm::sha256}) {
      if (std::find(digests.begin(), digests.end(), algorithm) == digests.end()) continue;
      line << ':' << digest_field(algorithm)
           << identity::digest_ha1(algorithm, name.substr(0, at), name.substr(at + 1), password);
    }
  }
  return line.str();
}

bool password_file::authenticate(std::string_view name, std::string_view password) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) return false;
  const auto hash = derive(password, it->second.salt, it->second.iterations);
  return hash.size() == hash_bytes &&
         CRYPTO_memcmp(hash.data(), it->second.hash.data(), hash_bytes) == 0;
}

std::optional<std::string> password_file::digest_ha1(std::string_view name,
                                                     digest_algorithm algorithm) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return algorithm == digest_algorithm::sha256 ? it->second.digest_sha256 : it->second.digest_md5;
}

}  // namespace p2psip::identity
