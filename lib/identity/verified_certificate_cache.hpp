// Certificates a certificate_verifier has accepted, so that a signer seen
// again (every message of a neighbour, every value of a stored AOR) costs
// neither a second chain or self-signature check nor a second parse. A verdict
// holds only inside the validity window of the chain it was reached with;
// outside it the caller verifies again and gets the exact error. Keyed by the
// DER bytes themselves. One per certificate_verifier (verdicts depend on its
// trust policy) and per thread. Bounded: past its capacity the oldest goes.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "identity/certificate_verifier.hpp"

namespace p2psip::identity {

class verified_certificate_cache {
 public:
  explicit verified_certificate_cache(std::size_t capacity = 4096) : capacity_(capacity) {}

  // The verdict for exactly these DER bytes, if it holds at `now`.
  const verified_identity* find(byte_span der, time_point now) const;
  void add(const verified_identity& verified);
  std::size_t size() const noexcept { return order_.size(); }

 private:
  // Looks up by string_view without copying the DER into a key.
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };

  std::size_t capacity_;
  std::unordered_map<std::string, verified_identity, text_hash, std::equal_to<>> by_der_;
  std::deque<std::string_view> order_;  // keys of by_der_, oldest first
};

}  // namespace p2psip::identity
