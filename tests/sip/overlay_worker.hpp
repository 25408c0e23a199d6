// A thread with a task queue that plays the overlay io_context in the sip
// tests: the front posts directory calls and events here.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace p2psip::test {

class overlay_worker {
 public:
  overlay_worker() : t_([this] { loop(); }) {}
  ~overlay_worker() {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    cv_.notify_one();
    t_.join();
  }
  overlay_worker(const overlay_worker&) = delete;
  overlay_worker& operator=(const overlay_worker&) = delete;

  void post(std::function<void()> f) {
    {
      std::lock_guard l(m_);
      q_.push_back(std::move(f));
    }
    cv_.notify_one();
  }
  auto executor() {
    return [this](std::function<void()> f) { post(std::move(f)); };
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock l(m_);
        cv_.wait(l, [&] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::thread t_;  // last: starts after the queue exists
};

}  // namespace p2psip::test
