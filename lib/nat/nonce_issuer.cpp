#include "nat/nonce_issuer.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "nat/stun_crypto.hpp"

namespace p2psip::nat {
namespace {

constexpr std::size_t time_digits = 16;  // the issue time, hex
constexpr std::size_t tag_digits = 16;   // half the HMAC, hex

}  // namespace

nonce_issuer::nonce_issuer(std::chrono::seconds lifetime) : lifetime_(lifetime) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("nonce_issuer: no randomness for the nonce key");
  }
}

std::string nonce_issuer::issue(std::int64_t unix_now) const {
  char time[time_digits + 1];
  std::snprintf(time, sizeof time, "%016llx", static_cast<unsigned long long>(unix_now));
  return time + tag(time);
}

bool nonce_issuer::fresh(std::string_view nonce, std::int64_t unix_now) const {
  if (nonce.size() != time_digits + tag_digits) return false;
  const auto time = nonce.substr(0, time_digits);
  const auto expected = tag(time);
  if (CRYPTO_memcmp(expected.data(), nonce.data() + time_digits, tag_digits) != 0) return false;
  std::uint64_t issued = 0;
  std::from_chars(time.data(), time.data() + time.size(), issued, 16);
  const auto age = unix_now - static_cast<std::int64_t>(issued);
  return age >= 0 && age < lifetime_.count();
}

std::string nonce_issuer::tag(std::string_view time) const {
  static constexpr char digits[] = "0123456789abcdef";
  const auto mac = hmac_sha1(key_, text_bytes(time));
  std::string out;
  for (std::size_t i = 0; i < tag_digits / 2; ++i) {
    out.push_back(digits[mac[i] >> 4]);
    out.push_back(digits[mac[i] & 0xF]);
  }
  return out;
}

}  // namespace p2psip::nat
