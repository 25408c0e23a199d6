// Accounts enrolled from a softphone's SIP digest answer (beyond RFC 6940;
// p2psip-ca(1) ACCOUNTS): the box relays the phone's Authorization to the CA,
// which alone holds H(A1) and so checks it; the box never sees the password.
//   * parse_digest_authorization: the RFC 7616 §3.4 Authorization value, the
//     subset a SIP phone sends (RFC 3261 §22.4): Digest username, realm,
//     nonce, uri, response, algorithm (MD5 only), qop (auth), nc, cnonce.
//   * digest_response_matches: RFC 7616 §3.4.1 (qop=auth) or RFC 2069 (no
//     qop) response with H = MD5, compared in constant time.
//   * digest_nonces: nonces the CA issues, each bound to one account and one
//     box, used once and only within their lifetime; a bounded number
//     outstanding (the oldest is dropped first).
// Not thread-safe: one owner thread (the CA's).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace p2psip::identity {

struct digest_answer {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;   // 32 lower-case hex digits
  std::string algorithm;  // empty or "MD5"
  std::string qop;        // empty or "auth"
  std::string nc;
  std::string cnonce;
};

// nullopt for anything but a well-formed Digest value with every field this
// check needs (and no qop other than auth, no algorithm other than MD5).
std::optional<digest_answer> parse_digest_authorization(std::string_view header);

// H(A1) = MD5(username ":" realm ":" password), lower-case hex.
std::string digest_ha1_md5(std::string_view username, std::string_view realm,
                           std::string_view password);

// Whether `answer` proves knowledge of the password behind `ha1_hex` for a
// request of `method`.
bool digest_response_matches(std::string_view ha1_hex, std::string_view method,
                             const digest_answer& answer);

// The WWW-Authenticate value challenging with `nonce` in `realm`.
std::string digest_challenge_value(std::string_view realm, std::string_view nonce);

enum class nonce_check {
  fresh,     // issued for this account and box, unused, in time: now spent
  unknown,   // never issued, or already used (replay), or dropped
  expired,   // issued, but its lifetime has passed
  mismatch,  // issued for another account or another box
};
const char* to_string(nonce_check check) noexcept;

class digest_nonces {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds default_lifetime{60};
  static constexpr std::size_t default_capacity = 4096;

  explicit digest_nonces(std::chrono::seconds lifetime = default_lifetime,
                         std::size_t capacity = default_capacity)
      : lifetime_(lifetime), capacity_(capacity) {}

  // A fresh random nonce (32 hex digits) for `account` at `box`.
  std::string issue(const std::string& account, const std::string& box, clock::time_point now);
  // Spends the nonce whatever the verdict: an answer is tried once.
  nonce_check consume(const std::string& nonce, const std::string& account, const std::string& box,
                      clock::time_point now);
  std::size_t outstanding() const noexcept { return issued_.size(); }

 private:
  struct issued {
    std::string account;
    std::string box;
    clock::time_point at;
    std::uint64_t order = 0;
  };
  std::chrono::seconds lifetime_;
  std::size_t capacity_;
  std::map<std::string, issued, std::less<>> issued_;
  std::uint64_t issued_count_ = 0;
};

}  // namespace p2psip::identity
