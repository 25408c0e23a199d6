// The AORs whose presence this daemon follows where they are registered,
// elsewhere or nowhere yet: the presence subscriptions it accepted for AORs
// registered nowhere (presence_agent.hpp) and the apps' sip.presence.watch.
// Each AOR is counted once however many follow it.
//
// Polling, at a bounded rate: each AOR followed is fetched (a SUBSCRIBE
// with Expires 0 routed through the overlay to its home daemon's agent)
// every presence_poll_interval, and at most max_followed_aors are followed,
// so a daemon sends at most max_followed_aors / presence_poll_interval
// fetches a second for its watchers. RFC 6665 has no way to be told that an
// AOR registered elsewhere, and an AOR registered nowhere has no agent.
//
// No I/O and no clock: the caller fetches what due() names and reports the
// answer with observed().
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sip/bindings.hpp"
#include "sip/sip_front.hpp"

namespace p2psip::sip {

inline constexpr std::chrono::seconds presence_poll_interval{10};
inline constexpr std::size_t max_followed_aors = 64;

// Whether two views differ in what a watcher sees (basic status, note,
// activity); where they came from is not a change.
bool presence_differs(const presence_view& a, const presence_view& b);

class presence_poll_list {
 public:
  // One more follower of `aor`; false (nothing changed) when
  // max_followed_aors others are followed. A new AOR starts from `known`
  // (closed when not given) and is due at once.
  bool follow(const std::string& aor, sip_clock::time_point now,
              const std::optional<presence_view>& known = std::nullopt);
  // One follower less; the AOR is forgotten with its last.
  void unfollow(const std::string& aor);
  // The AORs whose fetch is due, each not due again until its answer is
  // observed and the interval has passed since.
  std::vector<std::string> due(sip_clock::time_point now);
  // A fetch's answer (nullopt: it failed, nothing is concluded). True when
  // what watchers see changed.
  bool observed(const std::string& aor, const std::optional<presence_view>& seen,
                sip_clock::time_point now);
  // What the last fetch found; nullptr when the AOR is not followed.
  const presence_view* last(const std::string& aor) const;
  std::size_t size() const { return followed_.size(); }

 private:
  struct entry {
    std::size_t followers = 0;
    presence_view seen;
    sip_clock::time_point next_poll{};
    bool polling = false;
  };
  std::map<std::string, entry> followed_;
};

}  // namespace p2psip::sip
