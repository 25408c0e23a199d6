// overlay::timer_service on an Asio io_context: one steady_timer per pending
// timer. The overlay core is single-threaded, so schedule, cancel and every
// callback run on the io_context's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "overlay/timer_service.hpp"

namespace p2psip::runtime {

class asio_timer_service final : public overlay::timer_service {
 public:
  explicit asio_timer_service(boost::asio::io_context& io) : io_(io) {}
  // Pending callbacks never run after destruction.
  ~asio_timer_service() override;
  asio_timer_service(const asio_timer_service&) = delete;
  asio_timer_service& operator=(const asio_timer_service&) = delete;

  overlay::time_point now() const override { return std::chrono::steady_clock::now(); }
  overlay::timer_id schedule(overlay::duration delay, std::function<void()> callback) override;
  bool cancel(overlay::timer_id id) override;

  std::size_t pending() const noexcept { return timers_.size(); }

 private:
  struct pending_timer {
    explicit pending_timer(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    std::function<void()> callback;
  };
  void fire(std::uint64_t id);

  boost::asio::io_context& io_;
  std::uint64_t next_id_ = 1;
  // A timer is pending exactly while it is in this map: steady_timer::cancel
  // cannot recall a completion already queued, so fire() checks the map.
  std::unordered_map<std::uint64_t, std::unique_ptr<pending_timer>> timers_;
  std::shared_ptr<asio_timer_service*> alive_ = std::make_shared<asio_timer_service*>(this);
};

}  // namespace p2psip::runtime
