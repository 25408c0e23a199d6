#include "daemon/certificate_renewal.hpp"

#include <algorithm>

namespace p2psip::daemon {

certificate_renewal::certificate_renewal(boost::asio::io_context& io,
                                         overlay_provisioning provisioning)
    : provisioning_(std::move(provisioning)), worker_(io) {}

void certificate_renewal::submit(std::function<outcome(const overlay_document&)> step,
                                 std::function<void(outcome)> done) {
  worker_.submit<outcome>(
      [this, step = std::move(step)]() -> outcome {
        const auto document = provisioning_.saved_document();
        if (!document) {
          return provisioning_error{
              provisioning_cause::bad_document,
              "no valid configuration document in " + provisioning_.state_dir().string()};
        }
        return step(*document);
      },
      std::move(done));
}

void certificate_renewal::succeeded() {
  // Not again within first_retry even if the CA's certificate is due at
  // once (a lifetime too short): renewals never run in a loop.
  retry_at_ = clock::now() + first_retry;
  backoff_ = first_retry;
  failures_ = 0;
  last_error_.clear();
}

void certificate_renewal::poll(const identity::node_certificate& current, identity::time_point now,
                               std::function<void(outcome)> done) {
  if (renewing_ || (retry_at_ && clock::now() < *retry_at_) ||
      !identity::due_for_renewal(current, now)) {
    return;
  }
  renewing_ = true;
  submit(
      [this](const overlay_document& document) {
        return provisioning_.renew(document, std::chrono::system_clock::now());
      },
      [this, not_after = current.not_after(), done = std::move(done)](outcome renewed) {
        renewing_ = false;
        if (renewed) {
          succeeded();
        } else {
          ++failures_;
          last_error_ = renewed.error().describe();
          // Never wait past half the time the certificate has left: a long
          // CA outage must not let it expire while a retry could renew it
          // (an expired certificate cannot renew itself).
          const auto left = std::chrono::duration_cast<std::chrono::seconds>(
              not_after - std::chrono::system_clock::now());
          backoff_ = std::clamp(left / 2, first_retry, backoff_);
          retry_at_ = clock::now() + backoff_;
        }
        done(std::move(renewed));
        // After done(): its warning names the wait before this next one.
        if (!renewed) backoff_ = std::min(backoff_ * 2, last_retry);
      });
}

void certificate_renewal::enroll(enrollment_secret secret, std::function<void(outcome)> done) {
  submit([this, secret = std::move(secret)](
             const overlay_document& document) { return provisioning_.enroll(document, secret); },
         [this, done = std::move(done)](outcome enrolled) {
           // A new certificate: its own renewal, in its own time.
           if (enrolled) succeeded();
           done(std::move(enrolled));
         });
}

boost::json::object certificate_renewal::status() const {
  boost::json::object out{{"renewing", renewing_}, {"failures", failures_}};
  if (!last_error_.empty()) out["last_error"] = last_error_;
  if (retry_at_ && failures_ > 0) {
    out["retry_in_s"] = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(*retry_at_ - clock::now()).count());
  }
  return out;
}

}  // namespace p2psip::daemon
