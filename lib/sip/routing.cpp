#include "sip/routing.hpp"

#include <algorithm>

namespace p2psip::sip {

namespace {

route_decision failure(int status, const char* phrase, const std::string& reason,
                       const char* default_reason) {
  return {status, phrase, reason.empty() && default_reason ? default_reason : reason, {}};
}

}  // namespace

route_decision decide_from_lookup(const lookup_result& r, const wire::node_id& self) {
  switch (r.status) {
    case lookup_status::found: {
      route_decision d;
      for (const auto& n : r.nodes) {
        if (n == self) continue;
        const bool dup = std::any_of(d.targets.begin(), d.targets.end(),
                                     [&](const route_target& t) { return t.node == n; });
        if (!dup) d.targets.push_back({route_target::kind::remote_node, {}, n});
      }
      if (d.targets.empty()) return failure(480, "Temporarily Unavailable", {}, nullptr);
      return d;
    }
    case lookup_status::not_found: return failure(404, "Not Found", {}, nullptr);
    case lookup_status::unreachable:
      return failure(480, "Temporarily Unavailable", r.reason, "registered peers unreachable");
    case lookup_status::timeout:
      return failure(408, "Request Timeout", r.reason, "overlay lookup timed out");
    case lookup_status::overlay_down:
      return failure(503, "Service Unavailable", r.reason, "overlay unavailable");
  }
  return failure(500, "Server Internal Error", {}, nullptr);
}

int best_response(const std::vector<int>& statuses) {
  int best = -1;
  auto rank = [](int s) {
    if (s >= 600) return 0;  // a global failure wins
    if (s >= 200 && s < 300) return 1;
    int cls = s / 100;  // 3xx < 4xx < 5xx
    return 1 + cls;
  };
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (best < 0 || rank(statuses[i]) < rank(statuses[static_cast<std::size_t>(best)]))
      best = static_cast<int>(i);
  }
  return best;
}

void request_router::route(const std::string& aor, const std::string& gr, sip_clock::time_point now,
                           std::function<void(route_decision)> done) const {
  if (aor.empty()) {
    done({400, "Bad Request-URI", {}, {}});
    return;
  }
  auto local = gr.empty() ? bindings_.lookup(aor, now) : bindings_.lookup_gruu(aor, gr, now);
  if (!local.empty()) {
    route_decision d;
    for (auto& b : local) d.targets.push_back({route_target::kind::local_contact, b.uri, {}});
    done(std::move(d));
    return;
  }
  const std::string key = gr.empty() ? aor : aor + ";gr=" + gr;
  directory_.lookup(key, [self = self_, done = std::move(done)](const lookup_result& r) {
    done(decide_from_lookup(r, self));
  });
}

}  // namespace p2psip::sip
