#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "overlay/sim/event_scheduler.hpp"
#include "overlay/timer_group.hpp"
#include "overlay/transaction_table.hpp"

using namespace p2psip;
using namespace p2psip::overlay;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

constexpr wire::transaction_id tx{0xabc};

// One node's clock, timers and table, and what its transactions did.
struct originator {
  sim::event_scheduler clock;
  timer_group timers{clock};
  transaction_table table;
  std::vector<duration> sent_at;
  std::vector<bytes> sent;
  std::vector<std::pair<duration, std::optional<transaction_error>>> outcomes;
  std::vector<wire::message> answers;

  explicit originator(transaction_config config = {}) : table(timers, config) {}

  duration elapsed() const { return clock.now() - time_point{}; }

  bool begin(wire::transaction_id id, bytes request = {1, 2, 3}) {
    return table.begin(
        id, std::move(request),
        [this](std::span<const std::uint8_t> r) {
          sent_at.push_back(elapsed());
          sent.emplace_back(r.begin(), r.end());
        },
        [this](transaction_outcome outcome) {
          if (outcome) {
            answers.push_back(*outcome);
            outcomes.emplace_back(elapsed(), std::nullopt);
          } else {
            outcomes.emplace_back(elapsed(), outcome.error());
          }
        });
  }
};

wire::message answer_message(std::uint64_t id) {
  wire::message m;
  m.header.transaction_id = wire::transaction_id{id};
  m.contents.code = wire::message_code::ping_ans;
  return m;
}

}  // namespace

TEST_CASE("an unanswered request goes out five times, then times out") {
  originator node;
  REQUIRE(node.begin(tx, {9, 8, 7}));
  CHECK(node.table.pending() == 1);
  node.clock.run();
  CHECK(node.sent_at == std::vector<duration>{0s, 3s, 6s, 9s, 12s});
  CHECK(node.sent == std::vector<bytes>(5, bytes{9, 8, 7}));
  REQUIRE(node.outcomes.size() == 1);
  CHECK(node.outcomes[0].first == 15s);
  CHECK(node.outcomes[0].second == transaction_error::timed_out);
  CHECK(node.table.pending() == 0);
  CHECK(node.timers.pending() == 0);
  CHECK(node.table.stats().retransmissions == 4);
  CHECK(node.table.stats().timed_out == 1);
}

TEST_CASE("the reliability timer is configurable") {
  originator node({.reliability_timer = 500ms});
  REQUIRE(node.begin(tx));
  node.clock.run();
  CHECK(node.sent_at == std::vector<duration>{0ms, 500ms, 1000ms, 1500ms, 2000ms});
  REQUIRE(node.outcomes.size() == 1);
  CHECK(node.outcomes[0].first == 2500ms);
}

TEST_CASE("an answer completes the transaction once and stops its timer") {
  originator node;
  REQUIRE(node.begin(tx));
  node.clock.run_for(4s);
  CHECK(node.sent_at.size() == 2);
  CHECK(node.table.answer(tx, answer_message(tx.value)) == answer_status::completed);
  REQUIRE(node.answers.size() == 1);
  CHECK(node.answers[0] == answer_message(tx.value));
  CHECK(node.outcomes == decltype(node.outcomes){{4s, std::nullopt}});
  CHECK(node.clock.pending() == 0);
  node.clock.run();
  CHECK(node.sent_at.size() == 2);
  CHECK(node.outcomes.size() == 1);

  SECTION("a second answer is late and ignored") {
    CHECK(node.table.answer(tx, answer_message(tx.value)) == answer_status::late);
    CHECK(node.table.stats().late_answers == 1);
    CHECK(node.outcomes.size() == 1);
  }
  SECTION("an answer for no transaction is unknown") {
    CHECK(node.table.answer(wire::transaction_id{7}, answer_message(7)) == answer_status::unknown);
    CHECK(node.table.stats().unknown_answers == 1);
  }
  SECTION("a finished transaction is forgotten after a while") {
    node.clock.run_for(15s);
    CHECK(node.table.answer(tx, answer_message(tx.value)) == answer_status::unknown);
  }
}

TEST_CASE("an answer after the timeout is late") {
  originator node;
  REQUIRE(node.begin(tx));
  node.clock.run();
  CHECK(node.table.answer(tx, answer_message(tx.value)) == answer_status::late);
  CHECK(node.answers.empty());
  CHECK(node.outcomes.size() == 1);
}

TEST_CASE("an answer delivered while sending completes at once") {
  originator node;
  bool begun = node.table.begin(
      tx, {1},
      [&](std::span<const std::uint8_t>) {
        CHECK(node.table.answer(tx, answer_message(tx.value)) == answer_status::completed);
      },
      [&](transaction_outcome outcome) { CHECK(outcome.has_value()); });
  CHECK(begun);
  CHECK(node.table.pending() == 0);
  CHECK(node.clock.pending() == 0);
  CHECK(node.table.stats().answered == 1);
}

TEST_CASE("a transaction id already in flight is refused") {
  originator node;
  REQUIRE(node.begin(tx));
  CHECK_FALSE(node.begin(tx));
  CHECK(node.sent.size() == 1);
  CHECK(node.table.pending() == 1);
}

TEST_CASE("cancel completes one transaction with cancelled") {
  originator node;
  REQUIRE(node.begin(tx));
  REQUIRE(node.begin(wire::transaction_id{2}));
  CHECK(node.table.cancel(tx));
  CHECK_FALSE(node.table.cancel(tx));
  CHECK(node.outcomes == decltype(node.outcomes){{0s, transaction_error::cancelled}});
  CHECK(node.table.pending() == 1);
  CHECK(node.table.answer(tx, answer_message(tx.value)) == answer_status::late);
}

TEST_CASE("stopping the node's timers silences retransmission; cancel_all reports it") {
  originator node;
  REQUIRE(node.begin(tx));
  REQUIRE(node.begin(wire::transaction_id{2}));
  node.clock.run_for(1s);
  node.timers.stop();
  node.clock.run();
  CHECK(node.sent.size() == 2);  // the first transmissions only
  CHECK(node.outcomes.empty());
  CHECK(node.table.pending() == 2);
  CHECK_FALSE(node.begin(wire::transaction_id{3}));  // no timer to guard it

  node.table.cancel_all();
  CHECK(node.outcomes == decltype(node.outcomes){{1s, transaction_error::node_stopped},
                                                 {1s, transaction_error::node_stopped}});
  CHECK(node.table.pending() == 0);
  CHECK(node.table.stats().cancelled == 2);
}

TEST_CASE("a completion may begin the next transaction") {
  originator node;
  REQUIRE(node.table.begin(
      tx, {1}, [](std::span<const std::uint8_t>) {},
      [&](transaction_outcome) { CHECK(node.begin(wire::transaction_id{2})); }));
  node.table.cancel_all();
  CHECK(node.table.pending() == 1);  // the new one survives the cancel_all that made it
  node.clock.run();
  CHECK(node.sent_at == std::vector<duration>{0s, 3s, 6s, 9s, 12s});
  CHECK(node.outcomes == decltype(node.outcomes){{15s, transaction_error::timed_out}});
}

TEST_CASE("destroying the table cancels its timers") {
  sim::event_scheduler clock;
  timer_group timers(clock);
  int completions = 0;
  {
    transaction_table table(timers);
    REQUIRE(table.begin(
        tx, {1}, [](std::span<const std::uint8_t>) {},
        [&](transaction_outcome) { ++completions; }));
    CHECK(clock.pending() == 1);
  }
  CHECK(clock.pending() == 0);
  CHECK(timers.pending() == 0);
  clock.run();
  CHECK(completions == 0);
}
