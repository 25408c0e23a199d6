// The responder's side of end-to-end retransmission, RFC 6940 §6.2.1: a
// request seen again within the maximum request lifetime (15 s) must get a
// semantically equivalent response. This remembers each request by
// transaction id and originator: a retransmission that arrives while the
// first copy is still being processed is dropped, one that arrives after the
// response is answered with the same encoded response. Pure: the caller
// passes the time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "overlay/timer_service.hpp"
#include "wire/ids.hpp"

namespace p2psip::overlay {

struct response_cache_config {
  // §6.2.1's maximum request lifetime, counted from the first copy.
  duration lifetime = std::chrono::seconds(15);
  std::size_t max_entries = 4096;
  std::size_t max_bytes = std::size_t{4} << 20;  // cached responses together
};

struct response_cache_stats {
  std::uint64_t dropped_in_progress = 0;  // retransmissions met while processing
  std::uint64_t resent = 0;               // retransmissions answered from the cache
  std::uint64_t evicted = 0;              // entries pushed out by the caps
  std::uint64_t expired = 0;
};

enum class request_state : std::uint8_t {
  fresh,        // first copy (or first in a lifetime): process it
  in_progress,  // the first copy is being processed: drop this one
  answered,     // send the cached response again
};

struct request_lookup {
  request_state state;
  // The encoded response when `answered`; valid until the cache is next
  // changed. Its forwarding header routed the first copy back: a caller may
  // put the payload under a header built from this copy's Via List
  // (wire::decode_forwarding_part, then wire::encode_forwarded).
  std::span<const std::uint8_t> response;
};

class response_cache {
 public:
  explicit response_cache(response_cache_config config = {});

  // A request addressed to this node, keyed by its transaction id and the
  // Node-ID of its originator. A fresh one is recorded as in progress.
  request_lookup on_request(wire::transaction_id id, const wire::node_id& originator,
                            time_point now);
  // The encoded response to a request; recorded again if its entry has gone.
  // False, keeping nothing, when the response alone exceeds max_bytes.
  bool store_response(wire::transaction_id id, const wire::node_id& originator,
                      std::vector<std::uint8_t> response, time_point now);
  // Forgets a request, e.g. one dropped without a response, so that a
  // retransmission is processed anew.
  bool forget(wire::transaction_id id, const wire::node_id& originator);
  // Drops entries older than the lifetime; returns how many.
  std::size_t expire(time_point now);

  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  const response_cache_stats& stats() const noexcept { return stats_; }

 private:
  using key = std::pair<wire::transaction_id, wire::node_id>;
  struct entry;
  using entry_list = std::list<entry>;
  using entry_index = std::map<key, entry_list::iterator>;
  struct entry {
    entry_index::iterator key;
    time_point first_seen;
    bool answered = false;
    std::vector<std::uint8_t> response;
  };

  entry_list::iterator insert(const key& k, time_point now);
  void remove(entry_list::iterator e);

  response_cache_config config_;
  entry_list entries_;  // oldest first
  entry_index index_;
  std::size_t bytes_ = 0;
  response_cache_stats stats_;
};

}  // namespace p2psip::overlay
