// The daemon's account_authority (usage/phone_accounts.hpp): the CA's
// /account/challenge and /account/enroll (identity/enrollment_client.hpp)
// over HTTPS with the node's certificate as TLS client certificate. The
// calls block, so they run on a blocking_worker.
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "daemon/blocking_worker.hpp"
#include "identity/enrollment_client.hpp"
#include "usage/phone_accounts.hpp"

namespace p2psip::daemon {

class ca_account_client final : public usage::account_authority {
 public:
  // `key` (the node's) must outlive this object; `server.client` is unused.
  ca_account_client(boost::asio::io_context& io, identity::enrollment_request server,
                    const identity::key_pair& key, identity::node_certificate certificate);
  ca_account_client(const ca_account_client&) = delete;
  ca_account_client& operator=(const ca_account_client&) = delete;

  void challenge(const std::string& user, std::function<void(challenge_result)> done) override;
  void enroll(const std::string& user, const std::string& authorization,
              std::shared_ptr<const identity::key_pair> key,
              std::function<void(identity::result<identity::node_certificate>)> done) override;

  // The node's renewed certificate, shown from the next call on.
  void use_certificate(identity::node_certificate certificate);

 private:
  // Both used on the worker's thread only; server_.client points at certificate_.
  identity::enrollment_request server_;
  identity::node_certificate certificate_;
  blocking_worker worker_;  // last: joined before the members it uses go
};

}  // namespace p2psip::daemon
