#include "overlay/response_cache.hpp"

#include <algorithm>

namespace p2psip::overlay {

response_cache::response_cache(response_cache_config config) : config_(config) {
  config_.max_entries = std::max<std::size_t>(config_.max_entries, 1);
}

request_lookup response_cache::on_request(wire::transaction_id id, const wire::node_id& originator,
                                          time_point now) {
  expire(now);
  const auto found = index_.find({id, originator});
  if (found == index_.end()) {
    insert({id, originator}, now);
    return {request_state::fresh, {}};
  }
  const entry& e = *found->second;
  if (!e.answered) {
    ++stats_.dropped_in_progress;
    return {request_state::in_progress, {}};
  }
  ++stats_.resent;
  return {request_state::answered, e.response};
}

bool response_cache::store_response(wire::transaction_id id, const wire::node_id& originator,
                                    std::vector<std::uint8_t> response, time_point now) {
  expire(now);
  const auto found = index_.find({id, originator});
  if (response.size() > config_.max_bytes) {
    if (found != index_.end()) remove(found->second);
    return false;
  }
  const auto e = found != index_.end() ? found->second : insert({id, originator}, now);
  bytes_ -= e->response.size();
  bytes_ += response.size();
  e->response = std::move(response);
  e->answered = true;
  // Oldest first, sparing the entry just answered.
  for (auto old = entries_.begin(); bytes_ > config_.max_bytes;) {
    if (old == e) {
      ++old;
      continue;
    }
    remove(old++);
    ++stats_.evicted;
  }
  return true;
}

bool response_cache::forget(wire::transaction_id id, const wire::node_id& originator) {
  const auto found = index_.find({id, originator});
  if (found == index_.end()) return false;
  remove(found->second);
  return true;
}

std::size_t response_cache::expire(time_point now) {
  std::size_t expired = 0;
  while (!entries_.empty() && now - entries_.front().first_seen >= config_.lifetime) {
    remove(entries_.begin());
    ++expired;
  }
  stats_.expired += expired;
  return expired;
}

response_cache::entry_list::iterator response_cache::insert(const key& k, time_point now) {
  while (!entries_.empty() && entries_.size() >= config_.max_entries) {
    remove(entries_.begin());
    ++stats_.evicted;
  }
  const auto slot = index_.emplace(k, entries_.end()).first;
  slot->second = entries_.insert(entries_.end(), entry{slot, now, false, {}});
  return slot->second;
}

void response_cache::remove(entry_list::iterator e) {
  bytes_ -= e->response.size();
  index_.erase(e->key);
  entries_.erase(e);
}

}  // namespace p2psip::overlay
