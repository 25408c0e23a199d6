// The node's certificate renewed while the daemon runs (RFC 6940 §11.3 asks
// nodes to renew before expiry): once two thirds of its lifetime have passed
// (identity::due_for_renewal), at the configuration's enrollment server, the
// current certificate as proof. The call blocks, so it runs on a
// blocking_worker; a failure is retried with backoff (5 s doubling to
// 5 min) while the node runs on the certificate it has. p2psipctl enroll
// (node.enroll) goes through the same worker, so the two never overlap.
// Threading: the io_context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include "daemon/blocking_worker.hpp"
#include "daemon/overlay_provisioning.hpp"

namespace p2psip::daemon {

class certificate_renewal {
 public:
  using outcome = provisioning_result<identity::node_credentials>;
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds first_retry{5};
  static constexpr std::chrono::seconds last_retry{300};

  // `provisioning` is copied: the worker reads only its state directory and
  // settings.
  certificate_renewal(boost::asio::io_context& io, overlay_provisioning provisioning);

  // Each housekeeping round: when `current` is due and no renewal is under
  // way or waiting for its retry, starts one; `done` gets its outcome.
  void poll(const identity::node_certificate& current, identity::time_point now,
            std::function<void(outcome)> done);
  // node.enroll: enrollment with `secret` at the enrollment server of the
  // saved configuration document, after any renewal under way.
  void enroll(enrollment_secret secret, std::function<void(outcome)> done);

  // Retries after a failure: when, and after how many failures in a row.
  boost::json::object status() const;
  // The wait before the next attempt, after a failure.
  std::chrono::seconds backoff() const noexcept { return backoff_; }

 private:
  // Runs `step` (the document passed in) on the worker, then `done`.
  void submit(std::function<outcome(const overlay_document&)> step,
              std::function<void(outcome)> done);
  void succeeded();

  const overlay_provisioning provisioning_;
  bool renewing_ = false;
  std::optional<clock::time_point> retry_at_;
  std::chrono::seconds backoff_ = first_retry;
  std::uint64_t failures_ = 0;
  std::string last_error_;
  blocking_worker worker_;  // last: joined before the members its calls use go
};

}  // namespace p2psip::daemon
