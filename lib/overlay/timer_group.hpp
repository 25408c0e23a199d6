// The timers of one overlay node, so that stopping the node (a graceful
// leave, a crash in the simulator, destruction) silences all of them at once:
// a stopped group runs nothing and accepts nothing new.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "overlay/timer_service.hpp"

namespace p2psip::overlay {

class timer_group {
 public:
  explicit timer_group(timer_service& service) noexcept : service_(service) {}
  ~timer_group() { stop(); }
  timer_group(const timer_group&) = delete;
  timer_group& operator=(const timer_group&) = delete;

  time_point now() const { return service_.now(); }
  // nullopt once stopped: the callback is dropped unrun.
  std::optional<timer_id> schedule(duration delay, std::function<void()> callback);
  bool cancel(timer_id id);
  // Cancels every pending timer and refuses later ones.
  void stop();
  bool stopped() const noexcept { return stopped_; }
  std::size_t pending() const noexcept { return pending_.size(); }

 private:
  struct pending_timer {
    std::uint64_t key;  // the group's own name, known before the service's id
    timer_id id;
    std::function<void()> callback;
  };
  // The service only holds a two-word thunk (no allocation); the callback
  // stays here, so a cancelled or stopped timer cannot reach it.
  void fire(std::uint64_t key);

  timer_service& service_;
  std::vector<pending_timer> pending_;
  std::uint64_t next_key_ = 0;
  bool stopped_ = false;
};

}  // namespace p2psip::overlay
