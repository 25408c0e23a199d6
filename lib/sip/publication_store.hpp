// The presence agent's event state compositor (RFC 3903 §6), without sofia:
// the publications of PIDF documents per AOR, each under an entity-tag that
// changes with every successful PUBLISH, with its own expiry. What a
// watcher sees of an AOR is its newest live publication. Sip thread only;
// the clock is passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sip/bindings.hpp"
#include "sip/pidf.hpp"
#include "sip/sip_front.hpp"

namespace p2psip::sip {

struct publication_limits {
  std::chrono::seconds min_expires{60};        // below (and not 0) → 423
  std::chrono::seconds max_expires{3600};      // above → lowered
  std::chrono::seconds default_expires{3600};  // RFC 3856 §6.4's presence default
  std::size_t max_per_aor = 8;                 // another initial PUBLISH → 403
  std::size_t max_total = 10000;               // another AOR's first → 503
};

struct publish_request {
  std::string aor;                              // normalized
  std::string if_match;                         // SIP-If-Match; empty: an initial publication
  std::optional<std::chrono::seconds> expires;  // the Expires header, when present
  std::optional<std::string> body;              // the PIDF document, when the PUBLISH has a body
};

struct publish_outcome {
  int status = 0;  // 200, 400, 403, 412, 423 or 503
  std::string phrase;
  std::string etag;                     // 200: the publication's new entity-tag
  std::chrono::seconds expires{0};      // 200: as granted (0: removed)
  std::chrono::seconds min_expires{0};  // 423: Min-Expires
  bool changed = false;                 // what watchers see of the AOR changed
};

struct publication {
  std::string etag;
  std::string document;  // the PIDF as published
  presence_status status;
  sip_clock::time_point expires_at{};
  std::uint64_t order = 0;  // later modifications have larger values
};

class publication_store {
 public:
  using etag_source = std::function<std::string()>;
  explicit publication_store(etag_source fresh_etag, publication_limits limits = {})
      : fresh_etag_(std::move(fresh_etag)), limits_(limits) {}

  // RFC 3903 §6 steps 3-8 for a PUBLISH whose Event and Content-Type were
  // checked: initial (body, no SIP-If-Match), refresh (no body), modify
  // (both) and remove (Expires 0). A body that is not PIDF gets 400.
  publish_outcome publish(const publish_request& req, sip_clock::time_point now);

  // The newest live publication of an AOR.
  const publication* current(const std::string& aor, sip_clock::time_point now) const;
  // Drops expired publications; returns the AORs whose newest one changed.
  std::vector<std::string> expire(sip_clock::time_point now);
  std::size_t size() const;
  // The live publications, oldest modification first.
  std::vector<saved_publication> saved(sip_clock::time_point now) const;
  // Adds saved publications (those with time left and a PIDF document that
  // parses, within the limits), in order; the entity-tags stay, so phones
  // refresh with SIP-If-Match as before. Returns how many were taken.
  std::size_t restore(const std::vector<saved_publication>& saved, sip_clock::time_point now);

 private:
  std::map<std::string, std::vector<publication>> by_aor_;
  etag_source fresh_etag_;
  publication_limits limits_;
  std::uint64_t order_ = 0;
};

}  // namespace p2psip::sip
