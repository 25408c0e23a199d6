#include "daemon/ca_account_client.hpp"

#include <boost/asio/post.hpp>

namespace p2psip::daemon {

ca_account_client::ca_account_client(boost::asio::io_context& io,
                                     identity::enrollment_request server)
    : io_(io), server_(std::move(server)), worker_([this] { work(); }) {}

ca_account_client::~ca_account_client() {
  *alive_ = false;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  worker_.join();  // at most one call's timeout
}

void ca_account_client::work() {
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

template <class T>
void ca_account_client::submit(std::function<T()> call, std::function<void(T)> answer) {
  {
    const std::lock_guard lock(mutex_);
    jobs_.push_back([this, alive = alive_, call = std::move(call), answer = std::move(answer)] {
      auto result = std::make_shared<T>(call());
      boost::asio::post(io_, [alive, answer, result] {
        if (*alive) answer(std::move(*result));
      });
    });
  }
  wake_.notify_one();
}

void ca_account_client::challenge(const std::string& user,
                                  std::function<void(challenge_result)> done) {
  submit<challenge_result>([this, user] { return identity::account_challenge(server_, user); },
                           std::move(done));
}

void ca_account_client::enroll(
    const std::string& user, const std::string& authorization,
    std::shared_ptr<const identity::key_pair> key,
    std::function<void(identity::result<identity::node_certificate>)> done) {
  submit<identity::result<identity::node_certificate>>(
      [this, user, authorization, key] {
        return identity::enroll_account(server_, user, "REGISTER", authorization, *key);
      },
      std::move(done));
}

}  // namespace p2psip::daemon
