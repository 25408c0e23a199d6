// Accounts enrolled from a softphone's SIP digest answer (beyond RFC 6940;
// p2psip-ca(1) ACCOUNTS): the box relays the phone's Authorization to the CA,
// which alone holds H(A1) and so checks it; the box never sees the password.
//   * parse_digest_authorization: the RFC 7616 §3.4 Authorization value, the
//     subset a SIP phone sends (RFC 3261 §22.4, RFC 8760): Digest username,
//     realm, nonce, uri, response, algorithm (MD5 or SHA-256), qop (auth),
//     nc, cnonce.
//   * digest_response_matches: RFC 7616 §3.4.1 (qop=auth) or RFC 2069 (no
//     qop) response with H the answer's algorithm, compared in constant time.
//   * digest_challenge_value: one WWW-Authenticate value; RFC 8760 §2.4 has
//     the server send one per algorithm, the preferred (SHA-256) first.
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

// The RFC 7616 §6.1 algorithms a SIP phone may answer with (RFC 8760 §3),
// in the order a challenge offers them: the preferred first.
enum class digest_algorithm { sha256, md5 };
inline constexpr digest_algorithm digest_algorithms[] = {digest_algorithm::sha256,
                                                         digest_algorithm::md5};
// The token as written in algorithm= ("SHA-256", "MD5").
const char* to_string(digest_algorithm algorithm) noexcept;
// Lower-case hex digits of an H(...) value: 64 for SHA-256, 32 for MD5.
std::size_t digest_hex_size(digest_algorithm algorithm) noexcept;

struct digest_answer {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;  // lower-case hex, digest_hex_size(algorithm) digits
  digest_algorithm algorithm = digest_algorithm::md5;  // absent: MD5 (RFC 7616 §3.3)
  std::string qop;                                     // empty or "auth"
  std::string nc;
  std::string cnonce;
};

// nullopt for anything but a well-formed Digest value with every field this
// check needs (and no qop other than auth, no algorithm but MD5 and SHA-256).
std::optional<digest_answer> parse_digest_authorization(std::string_view header);

// H(A1) = H(username ":" realm ":" password), lower-case hex.
std::string digest_ha1(digest_algorithm algorithm, std::string_view username,
                       std::string_view realm, std::string_view password);

// Whether `answer` proves knowledge of the password behind `ha1_hex` (an
// H(A1) of the answer's algorithm) for a request of `method`.
bool digest_response_matches(std::string_view ha1_hex, std::string_view method,
                             const digest_answer& answer);

// The WWW-Authenticate value challenging with `nonce` in `realm`.
std::string digest_challenge_value(digest_algorithm algorithm, std::string_view realm,
                                   std::string_view nonce);

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
