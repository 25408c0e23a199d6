// Discrete-event time for the simulator: a timer_service whose clock only
// moves when the next event runs. Events at the same instant run in the order
// they were scheduled, so a run is a pure function of its inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "overlay/timer_service.hpp"

namespace p2psip::overlay::sim {

class event_scheduler final : public timer_service {
 public:
  time_point now() const override { return now_; }
  timer_id schedule(duration delay, std::function<void()> callback) override;
  bool cancel(timer_id id) override;

  // Runs the earliest pending event; false when none is left.
  bool run_one();
  // Runs every event due at or before `deadline`, then sets the clock to it.
  // Returns how many ran.
  std::size_t run_until(time_point deadline);
  std::size_t run_for(duration span) { return run_until(now_ + span); }
  // Runs until nothing is pending.
  std::size_t run();

  std::size_t pending() const noexcept { return pending_; }
  std::uint64_t executed() const noexcept { return executed_; }

 private:
  // Heap entries stay small and trivially copyable; the callbacks live in
  // reusable slots. A slot's generation changes whenever it is freed, so a
  // stale heap entry or timer_id is recognised and ignored.
  struct event {
    time_point when;
    std::uint64_t sequence;
    std::uint32_t slot;
    std::uint32_t generation;
    bool operator>(const event& other) const noexcept {
      return when != other.when ? when > other.when : sequence > other.sequence;
    }
  };
  struct slot {
    std::uint32_t generation = 0;
    std::function<void()> callback;
  };

  bool cancelled(const event& e) const noexcept {
    return e.generation != slots_[e.slot].generation;
  }
  // Pops heap entries of cancelled events until a live one is on top.
  bool skip_cancelled();
  void release(std::uint32_t index);
  // Drops cancelled entries once they outnumber the live ones: transaction
  // timers are nearly all cancelled, and left in place they would fill the
  // heap until their due time. Entries are totally ordered by (when,
  // sequence), so rebuilding never changes which event runs next.
  void drop_cancelled_if_most();

  time_point now_{};
  // A binary min-heap (std::greater) kept with push_heap/pop_heap, so that
  // cancelled entries can be filtered out in place.
  std::vector<event> queue_;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_sequence_ = 0;
  std::size_t pending_ = 0;
  std::uint64_t executed_ = 0;
};

}  // namespace p2psip::overlay::sim
