// The originator's end-to-end reliability, RFC 6940 §6.2.1: a request goes
// out, and again with the same transaction id each time the
// overlay-reliability-timer fires without an answer, five transmissions in
// all; the timer of the fifth ends it with a timeout. Every transaction
// started completes exactly once: with its answer, a timeout, or cancelled.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "overlay/timer_group.hpp"
#include "wire/basic_result.hpp"
#include "wire/message.hpp"

namespace p2psip::overlay {

enum class transaction_error : std::uint8_t {
  timed_out = 1,  // no answer by the timer of the last transmission
  cancelled,      // cancel(id)
  node_stopped,   // cancel_all(): the node is leaving or stopped
};

const char* to_string(transaction_error error) noexcept;

using transaction_outcome = wire::basic_result<wire::message, transaction_error>;

struct transaction_config {
  // overlay-reliability-timer (§11.1 default, at least 200 ms).
  duration reliability_timer = std::chrono::seconds(3);
  // §6.2.1: the first and up to 4 retransmissions.
  unsigned max_transmissions = 5;
  // Answers for a finished transaction are told apart from unknown ones for
  // this long after it finished, and for at most this many transactions.
  duration finished_memory = std::chrono::seconds(15);
  std::size_t max_finished = 4096;
};

struct transaction_stats {
  std::uint64_t started = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t answered = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t cancelled = 0;        // by cancel() or cancel_all()
  std::uint64_t late_answers = 0;     // for a transaction already finished
  std::uint64_t unknown_answers = 0;  // for no transaction this table knows
};

enum class answer_status : std::uint8_t {
  completed,  // the transaction's completion ran with the answer
  late,       // its transaction already finished: ignored
  unknown,    // no such transaction: ignored
};

class transaction_table {
 public:
  using send_function = std::function<void(std::span<const std::uint8_t> request)>;
  using completion = std::function<void(transaction_outcome outcome)>;

  // `timers` is the node's group: stopping it silences every retransmission
  // and timeout here (then call cancel_all() to complete what is pending).
  explicit transaction_table(timer_group& timers, transaction_config config = {});
  // Cancels this table's timers; runs no completion.
  ~transaction_table();
  transaction_table(const transaction_table&) = delete;
  transaction_table& operator=(const transaction_table&) = delete;

  // Sends `request` through `send` at once, and again on each timer until
  // the transaction finishes. False, sending nothing and never running
  // `done`, when `id` is already pending or the timer group is stopped.
  bool begin(wire::transaction_id id, std::vector<std::uint8_t> request, send_function send,
             completion done);
  // An answer whose transaction id is `id`: completes the transaction and
  // stops its timer, or is ignored.
  answer_status answer(wire::transaction_id id, wire::message response);
  // Completes a pending transaction with transaction_error::cancelled.
  bool cancel(wire::transaction_id id);
  // Completes every transaction pending when called with `reason`; those
  // its completions begin stay pending.
  void cancel_all(transaction_error reason = transaction_error::node_stopped);

  std::size_t pending() const noexcept { return pending_.size(); }
  bool is_pending(wire::transaction_id id) const { return pending_.contains(id); }
  const transaction_stats& stats() const noexcept { return stats_; }

 private:
  // Shared, so that a send that finishes its own transaction (an answer
  // delivered synchronously) does not destroy the function it runs in.
  struct outgoing {
    std::vector<std::uint8_t> request;
    send_function send;
  };
  struct transaction {
    std::shared_ptr<const outgoing> out;
    completion done;
    unsigned transmissions = 0;
    std::optional<timer_id> timer;
  };

  void on_timer(wire::transaction_id id);
  // Takes `id` out of the table and remembers it as finished; runs nothing.
  transaction finish(std::map<wire::transaction_id, transaction>::iterator it);
  void forget_finished(time_point now);

  timer_group& timers_;
  transaction_config config_;
  std::map<wire::transaction_id, transaction> pending_;
  // Finished transactions, oldest first, to recognise late answers.
  std::deque<std::pair<time_point, wire::transaction_id>> finished_order_;
  std::multiset<wire::transaction_id> finished_;
  transaction_stats stats_;
};

}  // namespace p2psip::overlay
