#include "media/sdes_crypto.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "nat/stun_crypto.hpp"

namespace p2psip::media {

namespace {

constexpr std::size_t key_base64_size = 40;  // 30 bytes, no padding
constexpr std::size_t max_tag_digits = 9;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }
bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}
bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
}

media_error fail(media_errc code, std::string detail) { return {code, std::move(detail)}; }

// The fields between runs of SP/HTAB.
std::vector<std::string_view> split_fields(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && is_wsp(value[i])) ++i;
    const std::size_t start = i;
    while (i < value.size() && !is_wsp(value[i])) ++i;
    if (i > start) out.push_back(value.substr(start, i - start));
  }
  return out;
}

std::optional<srtp_suite> suite_named(std::string_view name) {
  for (auto suite : {srtp_suite::aes_cm_128_hmac_sha1_80, srtp_suite::aes_cm_128_hmac_sha1_32}) {
    if (name == to_string(suite)) return suite;
  }
  return std::nullopt;
}

// Exactly 40 characters of the base64 alphabet: EVP_DecodeBlock alone would
// also take white space and padding.
std::optional<srtp_master_key> decode_key(std::string_view text) {
  if (text.size() != key_base64_size || !std::all_of(text.begin(), text.end(), is_base64_char)) {
    return std::nullopt;
  }
  std::array<std::uint8_t, srtp_master_key::size> bytes{};
  const int n = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n != static_cast<int>(srtp_master_key::size)) return std::nullopt;
  srtp_master_key key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

// "2^N" or a decimal count of packets (RFC 4568 §9.2).
bool is_lifetime(std::string_view s) noexcept {
  if (s.starts_with("2^")) s.remove_prefix(2);
  return all_digits(s);
}

}  // namespace

const char* to_string(srtp_suite suite) noexcept {
  switch (suite) {
    case srtp_suite::aes_cm_128_hmac_sha1_80: return "AES_CM_128_HMAC_SHA1_80";
    case srtp_suite::aes_cm_128_hmac_sha1_32: return "AES_CM_128_HMAC_SHA1_32";
  }
  return "?";
}

srtp_master_key::~srtp_master_key() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

srtp_master_key srtp_master_key::generate() {
  bytes_type bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("srtp_master_key: no randomness for a key");
  }
  srtp_master_key key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

result<sdes_crypto> parse_sdes_crypto(std::string_view value) {
  const auto fields = split_fields(value);
  if (fields.size() < 3) return fail(media_errc::bad_crypto, "want tag, suite and key params");
  if (!all_digits(fields[0]) || fields[0].size() > max_tag_digits) {
    return fail(media_errc::bad_crypto, "tag is not 1 to 9 digits");
  }
  const auto suite = suite_named(fields[1]);
  if (!suite) return fail(media_errc::unsupported_suite, std::string(fields[1]));

  std::string_view params = fields[2];
  if (params.find(';') != std::string_view::npos) {
    return fail(media_errc::unsupported_key_params, "more than one key");
  }
  if (!params.starts_with("inline:"))
    return fail(media_errc::bad_crypto, "key method is not inline");
  params.remove_prefix(7);
  const auto bar = params.find('|');
  const auto key = decode_key(params.substr(0, bar));
  if (!key) return fail(media_errc::bad_key, "inline key is not 40 base64 characters");
  if (bar != std::string_view::npos) {
    auto rest = params.substr(bar + 1);
    const auto next = rest.find('|');
    const auto first = rest.substr(0, next);
    // One extra field is a lifetime, or an MKI ("value:length") on its own.
    if (first.find(':') != std::string_view::npos || next != std::string_view::npos) {
      return fail(media_errc::unsupported_key_params, "MKI");
    }
    if (!is_lifetime(first)) return fail(media_errc::bad_crypto, "bad key lifetime");
  }
  for (std::size_t i = 3; i < fields.size(); ++i) {
    if (!fields[i].starts_with('-')) {
      return fail(media_errc::unsupported_key_params,
                  "session parameter " + std::string(fields[i]));
    }
  }
  std::uint32_t tag = 0;
  for (char c : fields[0]) tag = tag * 10 + static_cast<std::uint32_t>(c - '0');
  return sdes_crypto{tag, *suite, *key};
}

std::string format_sdes_crypto(const sdes_crypto& crypto) {
  const auto bytes = crypto.key.bytes();
  return std::to_string(crypto.tag) + " " + to_string(crypto.suite) +
         " inline:" + nat::base64({bytes.data(), bytes.size()});
}

sdes_crypto fresh_sdes_crypto(std::uint32_t tag, srtp_suite suite) {
  return {tag, suite, srtp_master_key::generate()};
}

}  // namespace p2psip::media
