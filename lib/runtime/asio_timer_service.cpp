#include "runtime/asio_timer_service.hpp"

#include <utility>

namespace p2psip::runtime {

asio_timer_service::~asio_timer_service() {
  // Completions already queued find `alive_` expired and do nothing.
  alive_.reset();
  for (auto& [id, timer] : timers_) timer->timer.cancel();
}

overlay::timer_id asio_timer_service::schedule(overlay::duration delay,
                                               std::function<void()> callback) {
  const std::uint64_t id = next_id_++;
  auto entry = std::make_unique<pending_timer>(io_);
  entry->callback = std::move(callback);
  entry->timer.expires_after(delay < overlay::duration::zero() ? overlay::duration::zero() : delay);
  entry->timer.async_wait(
      [alive = std::weak_ptr<asio_timer_service*>(alive_), id](const boost::system::error_code&) {
        // Cancellation is decided by the map, not the error code: a timer
        // cancelled after its completion was queued still reports success.
        if (auto self = alive.lock()) (*self)->fire(id);
      });
  timers_.emplace(id, std::move(entry));
  return overlay::timer_id{id};
}

bool asio_timer_service::cancel(overlay::timer_id id) {
  const auto it = timers_.find(id.value);
  if (it == timers_.end()) return false;
  it->second->timer.cancel();
  // Destroying the timer aborts its wait; fire() then finds no entry.
  timers_.erase(it);
  return true;
}

void asio_timer_service::fire(std::uint64_t id) {
  const auto it = timers_.find(id);
  if (it == timers_.end()) return;  // cancelled
  auto callback = std::move(it->second->callback);
  timers_.erase(it);  // before the call: the callback may schedule or cancel
  callback();
}

}  // namespace p2psip::runtime
