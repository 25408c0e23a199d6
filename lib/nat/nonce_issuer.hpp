// Stateless NONCEs for the long-term credential mechanism (RFC 5389 §10.2):
// the issue time and an HMAC of it under a key of this process, so a nonce
// is checked without remembering it, and goes stale after its lifetime.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2psip::nat {

class nonce_issuer {
 public:
  explicit nonce_issuer(std::chrono::seconds lifetime);

  std::string issue(std::int64_t unix_now) const;
  // Issued here, and not older than the lifetime.
  bool fresh(std::string_view nonce, std::int64_t unix_now) const;

 private:
  std::string tag(std::string_view time) const;

  std::chrono::seconds lifetime_;
  std::array<std::uint8_t, 20> key_{};
};

}  // namespace p2psip::nat
