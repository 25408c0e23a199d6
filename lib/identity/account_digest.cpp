#include "identity/account_digest.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "wire/ids.hpp"

namespace p2psip::identity {
namespace {

constexpr std::size_t max_header_bytes = 4096;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void skip_space(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

// One auth-param (RFC 7235 §2.1): token "=" ( token / quoted-string ).
bool next_param(std::string_view& s, std::string& name, std::string& value) {
  skip_space(s);
  std::size_t n = 0;
  while (n < s.size() && is_token_char(s[n])) ++n;
  if (n == 0) return false;
  name.assign(s.substr(0, n));
  s.remove_prefix(n);
  skip_space(s);
  if (s.empty() || s.front() != '=') return false;
  s.remove_prefix(1);
  skip_space(s);
  value.clear();
  if (!s.empty() && s.front() == '"') {
    s.remove_prefix(1);
    for (;;) {
      if (s.empty()) return false;
      char c = s.front();
      s.remove_prefix(1);
      if (c == '"') break;
      if (c == '\\') {
        if (s.empty()) return false;
        c = s.front();
        s.remove_prefix(1);
      }
      value.push_back(c);
    }
  } else {
    std::size_t v = 0;
    while (v < s.size() && is_token_char(s[v])) ++v;
    if (v == 0) return false;
    value.assign(s.substr(0, v));
    s.remove_prefix(v);
  }
  skip_space(s);
  if (!s.empty()) {
    if (s.front() != ',') return false;
    s.remove_prefix(1);
  }
  return true;
}

std::string hash_hex(digest_algorithm algorithm, std::string_view text) {
  const EVP_MD* md = algorithm == digest_algorithm::sha256 ? EVP_sha256() : EVP_md5();
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &size, md, nullptr) != 1) return {};
  return wire::to_hex(std::span<const std::uint8_t>(out.data(), size));
}

bool is_lower_hex(std::string_view s, std::size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

const char* to_string(digest_algorithm algorithm) noexcept {
  return algorithm == digest_algorithm::sha256 ? "SHA-256" : "MD5";
}

std::size_t digest_hex_size(digest_algorithm algorithm) noexcept {
  return algorithm == digest_algorithm::sha256 ? 64 : 32;
}

std::optional<digest_answer> parse_digest_authorization(std::string_view header) {
  if (header.size() > max_header_bytes) return std::nullopt;
  skip_space(header);
  constexpr std::string_view scheme = "Digest";
  if (header.size() <= scheme.size() || !iequals(header.substr(0, scheme.size()), scheme) ||
      (header[scheme.size()] != ' ' && header[scheme.size()] != '\t')) {
    return std::nullopt;
  }
  header.remove_prefix(scheme.size());
  digest_answer a;
  std::string algorithm;
  std::string name;
  std::string value;
  while (!header.empty()) {
    if (!next_param(header, name, value)) return std::nullopt;
    std::string* field = nullptr;
    if (iequals(name, "username"))
      field = &a.username;
    else if (iequals(name, "realm"))
      field = &a.realm;
    else if (iequals(name, "nonce"))
      field = &a.nonce;
    else if (iequals(name, "uri"))
      field = &a.uri;
    else if (iequals(name, "response"))
      field = &a.response;
    else if (iequals(name, "algorithm"))
      field = &algorithm;
    else if (iequals(name, "qop"))
      field = &a.qop;
    else if (iequals(name, "nc"))
      field = &a.nc;
    else if (iequals(name, "cnonce"))
      field = &a.cnonce;
    if (field == nullptr) continue;            // opaque and extensions: not part of the check
    if (!field->empty()) return std::nullopt;  // a field twice
    *field = value;
  }
  std::transform(a.response.begin(), a.response.end(), a.response.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (iequals(algorithm, "SHA-256")) {
    a.algorithm = digest_algorithm::sha256;
  } else if (!algorithm.empty() && !iequals(algorithm, "MD5")) {
    return std::nullopt;
  }
  if (a.username.empty() || a.realm.empty() || a.nonce.empty() || a.uri.empty() ||
      !is_lower_hex(a.response, digest_hex_size(a.algorithm))) {
    return std::nullopt;
  }
  if (!a.qop.empty()) {
    if (!iequals(a.qop, "auth") || a.nc.empty() || a.cnonce.empty()) return std::nullopt;
  }
  return a;
}

std::string digest_ha1(digest_algorithm algorithm, std::string_view username,
                       std::string_view realm, std::string_view password) {
  std::string a1;
  a1.append(username).append(":").append(realm).append(":").append(password);
  auto out = hash_hex(algorithm, a1);
  OPENSSL_cleanse(a1.data(), a1.size());
  return out;
}

bool digest_response_matches(std::string_view ha1_hex, std::string_view method,
                             const digest_answer& answer) {
  const auto size = digest_hex_size(answer.algorithm);
  if (!is_lower_hex(ha1_hex, size) || !is_lower_hex(answer.response, size)) return false;
  const std::string ha2 = hash_hex(answer.algorithm, std::string(method) + ":" + answer.uri);
  std::string kd = std::string(ha1_hex) + ":" + answer.nonce + ":";
  if (!answer.qop.empty()) kd += answer.nc + ":" + answer.cnonce + ":auth:";
  const std::string expected = hash_hex(answer.algorithm, kd + ha2);
  return expected.size() == size &&
         CRYPTO_memcmp(expected.data(), answer.response.data(), size) == 0;
}

std::string digest_challenge_value(digest_algorithm algorithm, std::string_view realm,
                                   std::string_view nonce) {
  return "Digest realm=" + quoted(realm) + ", nonce=" + quoted(nonce) +
         ", algorithm=" + to_string(algorithm) + ", qop=\"auth\"";
}

const char* to_string(nonce_check check) noexcept {
  switch (check) {
    case nonce_check::fresh: return "fresh";
    case nonce_check::unknown: return "unknown or already used nonce";
    case nonce_check::expired: return "expired nonce";
    case nonce_check::mismatch: return "nonce issued for another account or box";
  }
  return "?";
}

std::string digest_nonces::issue(const std::string& account, const std::string& box,
                                 clock::time_point now) {
  if (issued_.size() >= capacity_) {
    std::erase_if(issued_, [&](const auto& entry) { return now - entry.second.at > lifetime_; });
  }
  if (issued_.size() >= capacity_) {
    issued_.erase(std::min_element(
        issued_.begin(), issued_.end(),
        [](const auto& a, const auto& b) { return a.second.order < b.second.order; }));
  }
  std::array<std::uint8_t, 16> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return {};
  std::string nonce = wire::to_hex(random);
  issued_[nonce] = {account, box, now, ++issued_count_};
  return nonce;
}

nonce_check digest_nonces::consume(const std::string& nonce, const std::string& account,
                                   const std::string& box, clock::time_point now) {
  const auto it = issued_.find(nonce);
  if (it == issued_.end()) return nonce_check::unknown;
  const issued entry = it->second;
  issued_.erase(it);
  if (now - entry.at > lifetime_) return nonce_check::expired;
  if (entry.account != account || entry.box != box) return nonce_check::mismatch;
  return nonce_check::fresh;
}

}  // namespace p2psip::identity
