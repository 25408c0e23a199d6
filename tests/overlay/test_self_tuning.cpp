// RFC 7363's formulas against values worked out by hand, and against the
// examples the RFC gives itself (§3.2, §4, §6.5).
#include <catch2/catch.hpp>

#include "overlay/self_tuning.hpp"
#include "overlay_test_util.hpp"

using namespace p2psip::overlay;
using namespace std::chrono_literals;
using p2psip::overlay::test::id;

namespace {

const time_point t0{};

double seconds_of(duration d) { return std::chrono::duration<double>(d).count(); }

neighbor_table table_with(const node_id& self, std::initializer_list<uint128> succ_offsets,
                          std::initializer_list<uint128> pred_offsets) {
  neighbor_table t(self);
  for (auto o : succ_offsets) t.insert(advance(self, o));
  for (auto o : pred_offsets) t.insert(advance(self, -o));
  return t;
}

}  // namespace

TEST_CASE("§6.1: network size is 2^128 over the mean gap across the neighbourhood") {
  const node_id self = id(power_of_two(127));
  const uint128 gap = power_of_two(118);
  // Six gaps of 2^118 each: d = 2^118, N = 2^128 / 2^118.
  CHECK(estimate_network_size(table_with(self, {gap, 2 * gap, 3 * gap}, {gap, 2 * gap, 3 * gap})) ==
        1024);
  // Uneven gaps: only the span matters. 2^121 over six gaps: N = 6 * 2^7.
  const auto uneven = table_with(self, {power_of_two(50), power_of_two(119), power_of_two(120)},
                                 {power_of_two(100), power_of_two(110), power_of_two(120)});
  CHECK(estimate_network_size(uneven) == 768);
}

TEST_CASE("§6.1: a ring seen whole is counted exactly; a lone peer is one") {
  neighbor_table five(id(0));
  for (unsigned v : {10, 20, 30, 40}) five.insert(id(v));
  CHECK(estimate_network_size(five) == 5);
  CHECK(estimate_network_size(neighbor_table(id(9))) == 1);
}

TEST_CASE("§6.2: table sizes follow ceil(log2 N) with the RFC floors") {
  const auto n768 = routing_table_sizes(768);  // log2 768 = 9.58
  CHECK(n768.fingers == 16);
  CHECK(n768.successors == 10);
  CHECK(n768.predecessors == 10);
  CHECK(routing_table_sizes(500).successors == 9);     // §3.2: "on the order of nine"
  CHECK(routing_table_sizes(2000).successors == 11);   // §3.2: "11 fingers and successors"
  CHECK(routing_table_sizes(100000).fingers == 17);    // §4: "17 fingers"
  const auto tiny = routing_table_sizes(4);
  CHECK(tiny.fingers == 16);
  CHECK(tiny.successors == 3);
  CHECK(tiny.predecessors == 3);
  CHECK(routing_table_sizes(1e60).fingers == 128);
  CHECK(routing_table_sizes(1e60).successors == 128);
}

TEST_CASE("§6.3: failure rate with a partial history counts a failure now") {
  self_tuning tuning(t0);
  // History [0]; k = 1 < K = ceil(0.25 * 20) = 5, so as if [0, 1000]:
  // U = 2 / (20 * 1000).
  CHECK(*tuning.failure_rate(t0 + 1000s, 20) == Approx(1e-4));
  tuning.record_failure(t0 + 100s);
  // [0, 100, now=500]: U = 3 / (20 * 500).
  CHECK(*tuning.failure_rate(t0 + 500s, 20) == Approx(3e-4));
}

TEST_CASE("§6.3: failure rate over a full history of K failures") {
  self_tuning tuning(t0);
  for (auto s : {100s, 200s, 300s, 400s}) tuning.record_failure(t0 + s);
  // [0, 100, 200, 300, 400]: k = K = 5, Tk = 400: U = 5 / (20 * 400).
  CHECK(*tuning.failure_rate(t0 + 9000s, 20) == Approx(6.25e-4));
  tuning.record_failure(t0 + 600s);
  // The last five, [100 .. 600]: U = 5 / (20 * 500).
  CHECK(*tuning.failure_rate(t0 + 9000s, 20) == Approx(5e-4));
}

TEST_CASE("§6.3: no failure rate without elapsed time or peers") {
  self_tuning tuning(t0);
  CHECK_FALSE(tuning.failure_rate(t0, 20));
  CHECK_FALSE(tuning.failure_rate(t0 + 10s, 0));
}

TEST_CASE("§6.4: join rate is N over the median age") {
  // Sorted ages [10, 20, 30, 40, 50]; Ages[floor(5/2)] = 30 s.
  CHECK(*estimate_join_rate(1024, {40s, 10s, 50s, 30s, 20s}) == Approx(1024.0 / 30));
  // Ages[floor(4/2)] = Ages[2] = 30 s.
  CHECK(*estimate_join_rate(1024, {40s, 10s, 30s, 20s}) == Approx(1024.0 / 30));
  CHECK_FALSE(estimate_join_rate(1024, {}));
  CHECK_FALSE(estimate_join_rate(1024, {0s, 0s, 5s}));
}

TEST_CASE("§6.6 reproduces the RFC's own examples (§3.2)") {
  // 500 peers, one join and one failure every 30 s: Tf = 1/(2U) = 7500 s,
  // log2(500)^2 = 80.385, Tstab-1 = 93.30 s, Tstab-2 = 186.6 s.
  CHECK(seconds_of(*stabilization_interval({500, 1.0 / 30, 1.0 / 30}, 15s)) ==
        Approx(93.3007).epsilon(1e-5));
  // Twice the churn, half the interval: "on the order of 46 s".
  CHECK(seconds_of(*stabilization_interval({500, 2.0 / 30, 2.0 / 30}, 15s)) ==
        Approx(46.6503).epsilon(1e-5));
  // Six-fold churn, 2000 peers: "on the order of 42 s".
  CHECK(seconds_of(*stabilization_interval({2000, 6.0 / 30, 6.0 / 30}, 15s)) ==
        Approx(41.5806).epsilon(1e-5));
}

TEST_CASE("§6.6: the join-based interval wins when joins dominate, down to the floor") {
  // N = 1024, log2(N)^2 = 100. Tstab-1 = 1024 / (2 * 0.001) / 100 = 5120 s;
  // Tstab-2 = 1024 / (0.5 * 100) = 20.48 s.
  CHECK(seconds_of(*stabilization_interval({1024, 0.5, 0.001}, 15s)) == Approx(20.48));
  // Tstab-2 = 10.24 s is under the 15 s lower limit.
  CHECK(*stabilization_interval({1024, 1, 0.001}, 15s) == duration(15s));
  // Only one rate known: that one decides.
  CHECK(seconds_of(*stabilization_interval({1024, 0, 0.001}, 15s)) == Approx(5120));
  CHECK_FALSE(stabilization_interval({1024, 0, 0}, 15s));
  CHECK_FALSE(stabilization_interval({1, 1, 1}, 15s));
}

TEST_CASE("§2's percentile takes rank round(P/100 * n)") {
  CHECK(percentile({9, 3, 7, 1, 5, 2, 8, 4, 6}, 75) == 7);  // rank round(6.75) = 7
  CHECK(percentile({4, 1, 3, 2}, 75) == 3);                 // rank 3
  CHECK(percentile({1, 2}, 75) == 2);                       // rank round(1.5) = 2
  CHECK(percentile({5}, 75) == 5);
  CHECK(percentile({}, 75) == 0);
}

TEST_CASE("§6.5: shared rates are whole events per day, rounded up") {
  CHECK(per_day(0.123) == 10628);  // the RFC's example
  CHECK(per_day(0) == 0);
  CHECK(per_day(1e12) == 0xffffffffu);
  CHECK(per_second(86400) == 1);
}

TEST_CASE("a period's end combines own and shared estimates at the third quartile") {
  self_tuning tuning(t0);
  for (int i = 1; i <= 8; ++i) tuning.record_shared_estimates({100.0 * i, 0.01 * i, 0.001 * i});
  // Own: N = 1024; U = 2 / (20 * 1000) = 1e-4, leave = U * N = 0.1024;
  // median age 100 s, join = 1024 / 100 = 10.24.
  const auto result = tuning.end_of_period(t0 + 1000s, {1024, 20, {100s, 100s, 100s}});
  CHECK(tuning.local_estimates().network_size == 1024);
  CHECK(tuning.local_estimates().leave_rate == Approx(0.1024));
  CHECK(tuning.local_estimates().join_rate == Approx(10.24));
  // Nine values each; the 7th smallest: 700 peers, 0.07 and 0.007 per second.
  CHECK(result.estimates.network_size == 700);
  CHECK(result.estimates.join_rate == Approx(0.07));
  CHECK(result.estimates.leave_rate == Approx(0.007));
  CHECK(result.sizes.successors == 10);
  CHECK(result.sizes.fingers == 16);
  // Tstab-2 = 700 / (0.07 * log2(700)^2) = 111.95 s < Tstab-1 = 559.75 s.
  CHECK(seconds_of(result.stabilization_interval) == Approx(111.950).epsilon(1e-5));

  // The shared estimates were used up: now only this peer's own count.
  const auto next = tuning.end_of_period(t0 + 1000s, {1024, 20, {100s}});
  CHECK(next.estimates.network_size == 1024);
}

TEST_CASE("shared estimates are bounded per period") {
  self_tuning tuning(t0);
  for (int i = 0; i < 32; ++i) tuning.record_shared_estimates({10, 0, 0});
  for (int i = 0; i < 100; ++i) tuning.record_shared_estimates({1e9, 0, 0});
  // Kept: 32 tens and the own 1024; rank round(0.75 * 33) = 25 is a ten.
  CHECK(tuning.end_of_period(t0 + 10s, {1024, 20, {}}).estimates.network_size == 10);
}

TEST_CASE("without any estimate the configured interval applies") {
  self_tuning tuning(t0, {.default_interval = 600s});
  const auto result = tuning.end_of_period(t0, {1, 0, {}});
  CHECK(result.stabilization_interval == duration(600s));
  CHECK(result.sizes.fingers == 16);
  CHECK(result.sizes.successors == 3);
}
