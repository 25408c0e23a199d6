// RFC 7363 self-tuning for CHORD-RELOAD: estimates of overlay size, join
// rate and failure rate, and the stabilization interval and table sizes that
// follow from them. Pure: fed observations and times, it does no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "overlay/neighbor_table.hpp"
#include "overlay/timer_service.hpp"

namespace p2psip::overlay {

// Overlay-wide figures: the three a peer shares in SelfTuningData (§6.5).
// A rate of zero means no estimate.
struct overlay_estimates {
  double network_size = 0;  // N, in peers
  double join_rate = 0;     // L: joins per second across the overlay
  double leave_rate = 0;    // failures per second across the overlay: N times §6.3's per-peer U
};

struct table_sizes {
  std::size_t fingers;
  std::size_t successors;
  std::size_t predecessors;
};

// §6.1: N = 2^128 / d, d the mean gap between successive peers from the
// farthest predecessor to the farthest successor. When the two lists meet,
// the whole ring is in view and N is the exact count. A lone peer gives 1.
double estimate_network_size(const neighbor_table& neighbors);
// §6.2: fingers max(ceil(log2 N), 16); successors and predecessors
// ceil(log2 N), never below RFC 6940's three.
table_sizes routing_table_sizes(double network_size);
// §6.4: L = N / Ages[floor(rsize/2)], the median age of the peers in the
// routing table; nullopt when that age is zero or there are no peers.
std::optional<double> estimate_join_rate(double network_size, std::vector<duration> peer_ages);
// §6.6: min(Tstab-1, Tstab-2) and at least `lower_limit`, with
// Tstab-1 = Tf / log2(N)^2, Tf = 1/(2U) = N / (2 * leave_rate), and
// Tstab-2 = N / (L * log2(N)^2). nullopt without a usable N >= 2 or any rate.
std::optional<duration> stabilization_interval(const overlay_estimates& estimates,
                                               duration lower_limit);
// The P-th percentile as RFC 7363 §2 defines it: the value of rank
// round(P/100 * n) among the n values in ascending order. 0 for no values.
double percentile(std::vector<double> values, double p);
// SelfTuningData carries rates as events per 24 hours, rounded up (§6.5).
std::uint32_t per_day(double per_second);
double per_second(std::uint32_t per_day);

struct self_tuning_config {
  duration min_interval = std::chrono::seconds(15);  // §6.6's recommended lower limit
  // RFC 6940's chord-update-interval default, used until estimates exist.
  duration default_interval = std::chrono::seconds(600);
  double failure_history_share = 0.25;  // K as a share of the routing table (§6.3)
  // A peer probed by many others keeps only this many of their estimates.
  std::size_t max_shared_estimates = 32;
};

// What this peer sees of the overlay at the end of a stabilization period.
struct local_observations {
  double network_size;              // estimate_network_size() of the neighbours
  std::size_t routing_peers;        // M: routing_table::unique_peers()
  std::vector<duration> peer_ages;  // uptimes of the routing table's peers
};

class self_tuning {
 public:
  struct period_result {
    overlay_estimates estimates;  // combined with the peers' (§6.5)
    table_sizes sizes;
    duration stabilization_interval;
  };

  // §6.3: the join time opens the failure history.
  explicit self_tuning(time_point joined_at, self_tuning_config config = {});

  // §6.3.1: a Leave from a neighbour, or a peer that failed to answer a Ping.
  void record_failure(time_point when);
  // §6.5: estimates carried by a Probe request or answer this period.
  void record_shared_estimates(const overlay_estimates& estimates);
  // §6.3: U = k / (M * Tk), failures per peer per second, over the last K
  // entries of the history; while fewer than K, as if one more failure
  // happened now. nullopt while Tk or M is zero.
  std::optional<double> failure_rate(time_point now, std::size_t routing_peers) const;

  // §6: called as each stabilization period ends. Combines this peer's own
  // estimates with the period's shared ones (75th percentile, §6.5), forgets
  // the shared ones, and derives the next interval and table sizes.
  period_result end_of_period(time_point now, const local_observations& seen);
  // This peer's own estimates from the last period, to share in Probes.
  const overlay_estimates& local_estimates() const noexcept { return local_; }

 private:
  // K for a routing table of `routing_peers` (§6.3).
  std::size_t history_size(std::size_t routing_peers) const;
  // Keeps the newest history_limit_ failures.
  void trim_history();

  self_tuning_config config_;
  std::vector<time_point> failures_;
  std::size_t history_limit_;
  std::vector<overlay_estimates> shared_;
  overlay_estimates local_;
};

}  // namespace p2psip::overlay
