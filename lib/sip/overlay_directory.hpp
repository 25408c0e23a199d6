// The overlay side of the SIP usage, as seen from the SIP front (RFC 7904 §3,
// §4.2). Implemented by the daemon over overlay_storage; faked in tests.
//
// Threading: every method is called on the overlay thread (the sip front posts
// the call there through its `overlay_executor`), and `done` may be invoked on
// that same thread, synchronously or later. The front re-posts the result to
// its own su_root thread, so implementations never see sofia and never need a
// lock.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "wire/ids.hpp"

namespace p2psip::sip {

// One contact of an AOR as published in the overlay. The daemon turns a
// binding set into one SipRegistration (sip_registration_route: its own
// destination list, contact_prefs from the feature parameters below).
struct published_contact {
  std::string contact;        // the Contact URI as registered (for diagnostics)
  std::string instance;       // +sip.instance, empty when absent
  std::string contact_prefs;  // RFC 3840 feature parameters, e.g. "audio;video"
  std::chrono::seconds expires{0};
};

struct binding_set {
  std::string aor;  // normalized "sip:user@domain"
  std::vector<published_contact> contacts;
  // Longest remaining lifetime; the stored value's lifetime.
  std::chrono::seconds lifetime() const;
};

enum class lookup_status {
  found,         // nodes holds at least one destination
  not_found,     // no SIP-REGISTRATION for the AOR → 404
  unreachable,   // values exist but no peer could be reached → 480
  timeout,       // the overlay did not answer in time → 408 with Reason
  overlay_down,  // not joined / no route → 503 with Reason
};

struct lookup_result {
  lookup_status status = lookup_status::not_found;
  std::vector<wire::node_id> nodes;  // destination nodes, deduplicated, best first
  std::string reason;                // human-readable, copied into Reason/phrase
};

class overlay_directory {
 public:
  virtual ~overlay_directory() = default;
  // Store (or refresh) this node's SIP-REGISTRATION value for the AOR.
  virtual void publish(const binding_set& bindings) = 0;
  // Remove this node's value for the AOR (last contact gone).
  virtual void withdraw(const std::string& aor) = 0;
  // Fetch SIP-REGISTRATION at H(aor), dereference sip_registration_uri values
  // (§4.2 step 2) and yield the destination nodes. For a RELOAD GRUU
  // ("...;gr=<base64 destination list>", §6) `aor` is the full GRUU and the
  // implementation decodes the destination list instead of fetching.
  virtual void lookup(const std::string& aor, std::function<void(lookup_result)> done) = 0;
};

}  // namespace p2psip::sip
