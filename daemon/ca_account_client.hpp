// The daemon's account_authority (usage/phone_accounts.hpp): the CA's
// /account/challenge and /account/enroll (identity/enrollment_client.hpp)
// over HTTPS with the node's certificate as TLS client certificate. The
// calls block, so they run one at a time on a worker thread of their own,
// and each answer is posted back to the daemon's io_context.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "identity/enrollment_client.hpp"
#include "usage/phone_accounts.hpp"

namespace p2psip::daemon {

class ca_account_client final : public usage::account_authority {
 public:
  // `server.client`'s key and certificate must outlive this object.
  ca_account_client(boost::asio::io_context& io, identity::enrollment_request server);
  ~ca_account_client() override;
  ca_account_client(const ca_account_client&) = delete;
  ca_account_client& operator=(const ca_account_client&) = delete;

  void challenge(const std::string& user, std::function<void(challenge_result)> done) override;
  void enroll(const std::string& user, const std::string& authorization,
              std::shared_ptr<const identity::key_pair> key,
              std::function<void(identity::result<identity::node_certificate>)> done) override;

 private:
  // Runs `call` on the worker and `answer` with its result on the io_context.
  template <class T>
  void submit(std::function<T()> call, std::function<void(T)> answer);
  void work();

  boost::asio::io_context& io_;
  const identity::enrollment_request server_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // io_context thread only
  std::thread worker_;
};

}  // namespace p2psip::daemon
