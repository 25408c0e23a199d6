// Request-routing decisions of the proxy, without sofia (RFC 7904 §4, RFC 3261
// §16.6-16.7): local bindings first, then the overlay directory. The front
// turns a decision into nta transactions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sip/bindings.hpp"
#include "sip/overlay_directory.hpp"
#include "wire/ids.hpp"

namespace p2psip::sip {

struct route_target {
  enum class kind { local_contact, remote_node };
  kind where = kind::local_contact;
  std::string uri;       // local_contact: the registered Contact URI
  wire::node_id node{};  // remote_node: the daemon to hand the request to
};

struct route_decision {
  int status = 0;  // 0: fork to targets; otherwise answer with it
  std::string phrase;
  std::string reason;  // Reason header text (RFC 3326) for overlay failures
  std::vector<route_target> targets;
};

// Maps a directory answer onto a decision; `self` is dropped from the nodes
// (a stale value of ours with no local binding means "not here now": 480).
route_decision decide_from_lookup(const lookup_result& r, const wire::node_id& self);

// RFC 3261 §16.7 step 6: among final responses pick a 6xx, else the lowest
// class, with 503 counted as 500 (§16.7 "MUST convert 503 to 500" is done by
// the caller). Returns the index into `statuses`, or -1 when it is empty.
int best_response(const std::vector<int>& statuses);

class request_router {
 public:
  request_router(const binding_table& bindings, overlay_directory& directory, wire::node_id self)
      : bindings_(bindings), directory_(directory), self_(self) {}

  // `aor` is normalize_aor() of the Request-URI; `gr` its "gr" parameter or
  // empty. `done` runs synchronously for local answers, or when the directory
  // answers.
  void route(const std::string& aor, const std::string& gr, sip_clock::time_point now,
             std::function<void(route_decision)> done) const;

 private:
  const binding_table& bindings_;
  overlay_directory& directory_;
  wire::node_id self_;
};

}  // namespace p2psip::sip
