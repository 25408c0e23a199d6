// Injected time. The overlay core never reads a clock or owns a timer: the
// daemon implements this on Asio's steady timers, the simulator on its
// discrete-event queue, and both hand it in.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "wire/ids.hpp"

namespace p2psip::overlay {

// Monotonic time. The simulator counts from the default-constructed epoch.
using time_point = std::chrono::steady_clock::time_point;
using duration = std::chrono::steady_clock::duration;

using timer_id = wire::strong_int<struct timer_id_tag, std::uint64_t>;

class timer_service {
 public:
  virtual ~timer_service() = default;

  virtual time_point now() const = 0;
  // Runs `callback` once, `delay` after now() (at once-ish for a negative
  // delay), on the thread that runs the service.
  virtual timer_id schedule(duration delay, std::function<void()> callback) = 0;
  // Cancels a pending timer. After this returns true the callback never
  // runs, even if its deadline has passed and it is already queued; false
  // when it already ran or was cancelled.
  virtual bool cancel(timer_id id) = 0;
};

}  // namespace p2psip::overlay
