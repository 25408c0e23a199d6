#include "overlay/sim/event_scheduler.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace p2psip::overlay::sim {

namespace {

// A timer_id carries the slot in its low half and the slot's generation in
// its high half.
timer_id make_id(std::uint32_t slot, std::uint32_t generation) noexcept {
  return timer_id{(std::uint64_t{generation} << 32) | slot};
}

}  // namespace

timer_id event_scheduler::schedule(duration delay, std::function<void()> callback) {
  std::uint32_t index;
  if (free_slots_.empty()) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  slot& s = slots_[index];
  s.callback = std::move(callback);
  // A negative delay would move time backwards; it means "as soon as possible".
  const time_point when = delay > duration::zero() ? now_ + delay : now_;
  drop_cancelled_if_most();
  queue_.push_back({when, next_sequence_++, index, s.generation});
  std::push_heap(queue_.begin(), queue_.end(), std::greater<>{});
  ++pending_;
  return make_id(index, s.generation);
}

bool event_scheduler::cancel(timer_id id) {
  const auto index = static_cast<std::uint32_t>(id.value);
  const auto generation = static_cast<std::uint32_t>(id.value >> 32);
  // Freeing a slot bumps its generation, so a match means the timer is live.
  if (index >= slots_.size() || slots_[index].generation != generation) return false;
  release(index);
  return true;
}

void event_scheduler::release(std::uint32_t index) {
  slot& s = slots_[index];
  s.callback = nullptr;
  ++s.generation;
  free_slots_.push_back(index);
  --pending_;
}

void event_scheduler::drop_cancelled_if_most() {
  // The floor keeps small queues from being rebuilt over and over.
  if (queue_.size() < 1024 || queue_.size() < 2 * pending_) return;
  std::erase_if(queue_, [this](const event& e) { return cancelled(e); });
  std::make_heap(queue_.begin(), queue_.end(), std::greater<>{});
}

bool event_scheduler::skip_cancelled() {
  while (!queue_.empty() && cancelled(queue_.front())) {
    std::pop_heap(queue_.begin(), queue_.end(), std::greater<>{});
    queue_.pop_back();
  }
  return !queue_.empty();
}

bool event_scheduler::run_one() {
  if (!skip_cancelled()) return false;
  std::pop_heap(queue_.begin(), queue_.end(), std::greater<>{});
  const event e = queue_.back();
  queue_.pop_back();
  auto callback = std::move(slots_[e.slot].callback);
  release(e.slot);
  now_ = e.when;
  ++executed_;
  callback();  // may schedule or cancel: the slot is already free
  return true;
}

std::size_t event_scheduler::run_until(time_point deadline) {
  std::size_t ran = 0;
  while (skip_cancelled() && queue_.front().when <= deadline) {
    run_one();
    ++ran;
  }
  if (deadline > now_) now_ = deadline;
  return ran;
}

std::size_t event_scheduler::run() {
  std::size_t ran = 0;
  while (run_one()) ++ran;
  return ran;
}

}  // namespace p2psip::overlay::sim
