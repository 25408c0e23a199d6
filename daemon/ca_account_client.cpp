#include "daemon/ca_account_client.hpp"

namespace p2psip::daemon {

ca_account_client::ca_account_client(boost::asio::io_context& io,
                                     identity::enrollment_request server,
                                     const identity::key_pair& key,
                                     identity::node_certificate certificate)
    : server_(std::move(server)), certificate_(std::move(certificate)), worker_(io) {
  server_.client = identity::client_identity{&key, &certificate_};
}

void ca_account_client::challenge(const std::string& user,
                                  std::function<void(challenge_result)> done) {
  worker_.submit<challenge_result>(
      [this, user] { return identity::account_challenge(server_, user); }, std::move(done));
}

void ca_account_client::enroll(
    const std::string& user, const std::string& authorization,
    std::shared_ptr<const identity::key_pair> key,
    std::function<void(identity::result<identity::node_certificate>)> done) {
  worker_.submit<identity::result<identity::node_certificate>>(
      [this, user, authorization, key] {
        return identity::enroll_account(server_, user, "REGISTER", authorization, *key);
      },
      std::move(done));
}

void ca_account_client::use_certificate(identity::node_certificate certificate) {
  worker_.run([this, certificate = std::move(certificate)]() mutable {
    certificate_ = std::move(certificate);
  });
}

}  // namespace p2psip::daemon
