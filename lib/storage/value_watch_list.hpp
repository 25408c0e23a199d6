// The values clients watch (storage.watch on the control socket): which
// Resource-ID and Kind, how often each is fetched again, and whether what a
// fetch found differs from what the one before it found.
//
// Polling, at a bounded rate: the watcher's node fetches each watched value
// every `interval` (at least min_watch_interval), and at most max_watches
// are held, so a node sends at most max_watches / min_watch_interval Fetches
// a second for its watchers. Replicas are not asked to notify: RFC 6940 has
// no such message, and a poll sees a change made anywhere in the overlay, at
// whichever node, in at most one interval.
//
// A change is a difference in the set of (entry, value) pairs that exist;
// a value stored again unchanged (a refresh, a new storage_time or
// signature) is not one. The first poll only records what it found.
//
// No I/O and no clock: the caller polls when due() says so and reports the
// answer with observed().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wire/ids.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::storage {

inline constexpr std::chrono::seconds min_watch_interval{2};
inline constexpr std::size_t max_watches = 64;

// What one poll found: entry (dictionary key or big-endian array index;
// empty for a single value) → value, as bytes, for the entries that exist.
using watched_values = std::map<std::string, std::string>;
watched_values values_of(const std::vector<wire::stored_data>& data);

class value_watch_list {
 public:
  using clock = std::chrono::steady_clock;
  using watch_id = std::uint64_t;

  // nullopt when max_watches are held. `interval` is raised to
  // min_watch_interval. The first poll is due at once.
  std::optional<watch_id> add(std::chrono::seconds interval, clock::time_point now);
  bool remove(watch_id id);
  // The watches whose poll is due, each then not due again until its
  // answer is observed and its interval has passed since.
  std::vector<watch_id> due(clock::time_point now);
  // A poll's answer (nullopt: the poll failed, nothing is concluded). True
  // when the values differ from those of the last successful poll.
  bool observed(watch_id id, const std::optional<watched_values>& values, clock::time_point now);
  // When the next poll falls due, for the caller's timer; nullopt when none.
  std::optional<clock::time_point> next_due() const;
  std::size_t size() const { return watches_.size(); }

 private:
  struct watch {
    std::chrono::seconds interval;
    clock::time_point next_poll;
    bool polling = false;
    std::optional<watched_values> seen;
  };
  std::map<watch_id, watch> watches_;
  watch_id last_id_ = 0;
};

}  // namespace p2psip::storage
