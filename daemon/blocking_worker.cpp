#include "daemon/blocking_worker.hpp"

namespace p2psip::daemon {

blocking_worker::blocking_worker(boost::asio::io_context& io)
    : io_(io), worker_([this] { work(); }) {}

blocking_worker::~blocking_worker() {
  *alive_ = false;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  worker_.join();  // at most one call's timeout
}

void blocking_worker::run(std::function<void()> job) {
  {
    const std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void blocking_worker::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace p2psip::daemon
