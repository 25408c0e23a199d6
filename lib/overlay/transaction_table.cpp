#include "overlay/transaction_table.hpp"

#include <algorithm>
#include <utility>

namespace p2psip::overlay {

const char* to_string(transaction_error error) noexcept {
  switch (error) {
    case transaction_error::timed_out: return "timed_out";
    case transaction_error::cancelled: return "cancelled";
    case transaction_error::node_stopped: return "node_stopped";
  }
  return "unknown";
}

transaction_table::transaction_table(timer_group& timers, transaction_config config)
    : timers_(timers), config_(config) {
  config_.max_transmissions = std::max(config_.max_transmissions, 1u);
}

transaction_table::~transaction_table() {
  for (const auto& [id, t] : pending_) {
    if (t.timer) timers_.cancel(*t.timer);
  }
}

bool transaction_table::begin(wire::transaction_id id, std::vector<std::uint8_t> request,
                              send_function send, completion done) {
  if (timers_.stopped() || pending_.contains(id)) return false;
  auto out = std::make_shared<const outgoing>(outgoing{std::move(request), std::move(send)});
  auto& t = pending_.emplace(id, transaction{out, std::move(done), 1, std::nullopt}).first->second;
  // Armed before sending, so that an answer arriving during send() stops it.
  t.timer = timers_.schedule(config_.reliability_timer, [this, id] { on_timer(id); });
  ++stats_.started;
  out->send(out->request);
  return true;
}

void transaction_table::on_timer(wire::transaction_id id) {
  if (timers_.stopped()) return;
  const auto it = pending_.find(id);
  if (it == pending_.end()) return;
  transaction& t = it->second;
  t.timer.reset();
  if (t.transmissions >= config_.max_transmissions) {
    auto done = finish(it).done;
    ++stats_.timed_out;
    done(transaction_error::timed_out);
    return;
  }
  ++t.transmissions;
  ++stats_.retransmissions;
  t.timer = timers_.schedule(config_.reliability_timer, [this, id] { on_timer(id); });
  const auto out = t.out;
  out->send(out->request);
}

answer_status transaction_table::answer(wire::transaction_id id, wire::message response) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) {
    forget_finished(timers_.now());
    if (finished_.contains(id)) {
      ++stats_.late_answers;
      return answer_status::late;
    }
    ++stats_.unknown_answers;
    return answer_status::unknown;
  }
  auto done = finish(it).done;
  ++stats_.answered;
  done(std::move(response));
  return answer_status::completed;
}

bool transaction_table::cancel(wire::transaction_id id) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  auto done = finish(it).done;
  ++stats_.cancelled;
  done(transaction_error::cancelled);
  return true;
}

void transaction_table::cancel_all(transaction_error reason) {
  std::vector<wire::transaction_id> ids;
  ids.reserve(pending_.size());
  for (const auto& [id, t] : pending_) ids.push_back(id);
  for (const auto id : ids) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // an earlier completion finished it
    auto done = finish(it).done;
    ++stats_.cancelled;
    done(reason);
  }
}

transaction_table::transaction transaction_table::finish(
    std::map<wire::transaction_id, transaction>::iterator it) {
  const wire::transaction_id id = it->first;
  transaction t = std::move(it->second);
  pending_.erase(it);
  if (t.timer) timers_.cancel(*t.timer);
  const time_point now = timers_.now();
  finished_order_.emplace_back(now, id);
  finished_.insert(id);
  forget_finished(now);
  return t;
}

void transaction_table::forget_finished(time_point now) {
  while (!finished_order_.empty() &&
         (finished_order_.size() > config_.max_finished ||
          now - finished_order_.front().first >= config_.finished_memory)) {
    finished_.erase(finished_.find(finished_order_.front().second));
    finished_order_.pop_front();
  }
}

}  // namespace p2psip::overlay
