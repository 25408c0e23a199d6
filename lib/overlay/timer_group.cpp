#include "overlay/timer_group.hpp"

#include <algorithm>
#include <utility>

namespace p2psip::overlay {

std::optional<timer_id> timer_group::schedule(duration delay, std::function<void()> callback) {
  if (stopped_) return std::nullopt;
  const std::uint64_t key = next_key_++;
  const timer_id id = service_.schedule(delay, [this, key] { fire(key); });
  pending_.push_back({key, id, std::move(callback)});
  return id;
}

bool timer_group::cancel(timer_id id) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const pending_timer& t) { return t.id == id; });
  if (it == pending_.end()) return false;
  service_.cancel(id);
  pending_.erase(it);
  return true;
}

void timer_group::stop() {
  stopped_ = true;
  for (const auto& t : pending_) service_.cancel(t.id);
  pending_.clear();
}

void timer_group::fire(std::uint64_t key) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const pending_timer& t) { return t.key == key; });
  if (it == pending_.end()) return;  // stopped or cancelled after being queued
  auto callback = std::move(it->callback);
  pending_.erase(it);
  // Last use of `this`: the callback may stop or even destroy the group.
  callback();
}

}  // namespace p2psip::overlay
