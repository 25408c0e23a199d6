// Calls that block (HTTPS to the CA) run one at a time, in order, on a
// thread of their own, and each answer is posted back to the daemon's
// io_context, so the overlay thread never waits on a server.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace p2psip::daemon {

class blocking_worker {
 public:
  explicit blocking_worker(boost::asio::io_context& io);
  // Drops the calls not started and waits for the one under way.
  ~blocking_worker();
  blocking_worker(const blocking_worker&) = delete;
  blocking_worker& operator=(const blocking_worker&) = delete;

  // Runs `call` on the worker and `answer` with its result on the io_context
  // (never after this object is gone). From the io_context's thread.
  template <class T>
  void submit(std::function<T()> call, std::function<void(T)> answer) {
    run([io = &io_, alive = alive_, call = std::move(call), answer = std::move(answer)] {
      auto result = std::make_shared<T>(call());
      boost::asio::post(*io, [alive, answer, result] {
        if (*alive) answer(std::move(*result));
      });
    });
  }
  // Runs `job` on the worker, after the calls submitted before it.
  void run(std::function<void()> job);

 private:
  void work();

  boost::asio::io_context& io_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // io_context thread only
  std::thread worker_;
};

}  // namespace p2psip::daemon
