#include "overlay/self_tuning.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "overlay/finger_table.hpp"

namespace p2psip::overlay {

namespace {

constexpr double seconds_per_day = 24 * 60 * 60;
const double ring_size = std::ldexp(1.0, ring_bits);

double seconds(duration d) { return std::chrono::duration<double>(d).count(); }

std::size_t ceil_log2(double n) {
  return n > 1 ? static_cast<std::size_t>(std::ceil(std::log2(n))) : 0;
}

}  // namespace

double estimate_network_size(const neighbor_table& neighbors) {
  const auto succ = neighbors.successors();
  const auto pred = neighbors.predecessors();
  if (neighbors.empty()) return 1;
  const bool lists_meet = std::any_of(succ.begin(), succ.end(), [&](const node_id& s) {
    return std::find(pred.begin(), pred.end(), s) != pred.end();
  });
  if (lists_meet) {
    std::vector<node_id> peers(succ.begin(), succ.end());
    peers.insert(peers.end(), pred.begin(), pred.end());
    std::sort(peers.begin(), peers.end());
    return static_cast<double>(std::unique(peers.begin(), peers.end()) - peers.begin()) + 1;
  }
  // insert() fills both lists or neither, so neither is empty here.
  const double gaps = static_cast<double>(succ.size() + pred.size());
  return gaps * ring_size / static_cast<double>(clockwise_distance(pred.back(), succ.back()));
}

table_sizes routing_table_sizes(double network_size) {
  const std::size_t bits = std::min(ceil_log2(network_size), std::size_t{ring_bits});
  return {std::max(bits, finger_table::min_size), std::max(bits, neighbor_table::min_capacity),
          std::max(bits, neighbor_table::min_capacity)};
}

std::optional<double> estimate_join_rate(double network_size, std::vector<duration> peer_ages) {
  if (peer_ages.empty()) return std::nullopt;
  const auto median = peer_ages.begin() + static_cast<std::ptrdiff_t>(peer_ages.size() / 2);
  std::nth_element(peer_ages.begin(), median, peer_ages.end());
  if (*median <= duration::zero()) return std::nullopt;
  return network_size / seconds(*median);
}

std::optional<duration> stabilization_interval(const overlay_estimates& estimates,
                                               duration lower_limit) {
  const double n = estimates.network_size;
  if (!(n >= 2)) return std::nullopt;
  const double log_squared = std::log2(n) * std::log2(n);
  double interval = std::numeric_limits<double>::infinity();
  if (estimates.leave_rate > 0) {
    const double time_for_half_to_fail = n / (2 * estimates.leave_rate);
    interval = std::min(interval, time_for_half_to_fail / log_squared);
  }
  if (estimates.join_rate > 0) {
    interval = std::min(interval, n / (estimates.join_rate * log_squared));
  }
  if (std::isinf(interval)) return std::nullopt;
  // Capped at a year so that now() plus the interval cannot overflow.
  const double longest = seconds(std::chrono::hours(24 * 365));
  const auto result =
      std::chrono::duration_cast<duration>(std::chrono::duration<double>(std::min(interval, longest)));
  return std::max(result, lower_limit);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = std::clamp<long>(std::lround(p / 100 * static_cast<double>(values.size())), 1,
                                     static_cast<long>(values.size()));
  return values[static_cast<std::size_t>(rank - 1)];
}

std::uint32_t per_day(double per_second) {
  const double count = std::ceil(per_second * seconds_per_day);
  if (!(count > 0)) return 0;
  return count >= std::numeric_limits<std::uint32_t>::max()
             ? std::numeric_limits<std::uint32_t>::max()
             : static_cast<std::uint32_t>(count);
}

double per_second(std::uint32_t per_day) { return per_day / seconds_per_day; }

self_tuning::self_tuning(time_point joined_at, self_tuning_config config)
    : config_(config),
      failures_{joined_at},
      // Until the first period reports M, size K for RFC 6940's default tables.
      history_limit_(history_size(finger_table::min_size + 2 * neighbor_table::min_capacity)) {}

std::size_t self_tuning::history_size(std::size_t routing_peers) const {
  const double k = std::ceil(config_.failure_history_share * static_cast<double>(routing_peers));
  return std::max<std::size_t>(1, static_cast<std::size_t>(k));
}

void self_tuning::trim_history() {
  if (failures_.size() > history_limit_) {
    failures_.erase(failures_.begin(),
                    failures_.end() - static_cast<std::ptrdiff_t>(history_limit_));
  }
}

void self_tuning::record_failure(time_point when) {
  failures_.push_back(when);
  trim_history();
}

void self_tuning::record_shared_estimates(const overlay_estimates& estimates) {
  if (shared_.size() < config_.max_shared_estimates) shared_.push_back(estimates);
}

std::optional<double> self_tuning::failure_rate(time_point now, std::size_t routing_peers) const {
  const std::size_t wanted = history_size(routing_peers);
  std::size_t k = std::min(wanted, failures_.size());
  const time_point first = failures_[failures_.size() - k];
  time_point last = failures_.back();
  if (k < wanted) {
    ++k;
    last = now;
  }
  const double span = seconds(last - first);
  if (routing_peers == 0 || !(span > 0)) return std::nullopt;
  return static_cast<double>(k) / (static_cast<double>(routing_peers) * span);
}

self_tuning::period_result self_tuning::end_of_period(time_point now,
                                                      const local_observations& seen) {
  history_limit_ = history_size(seen.routing_peers);
  trim_history();
  local_.network_size = seen.network_size;
  local_.leave_rate = failure_rate(now, seen.routing_peers).value_or(0) * seen.network_size;
  local_.join_rate = estimate_join_rate(seen.network_size, seen.peer_ages).value_or(0);

  std::vector<double> sizes{local_.network_size}, joins{local_.join_rate},
      leaves{local_.leave_rate};
  for (const auto& e : shared_) {
    sizes.push_back(e.network_size);
    joins.push_back(e.join_rate);
    leaves.push_back(e.leave_rate);
  }
  shared_.clear();
  constexpr double third_quartile = 75;
  const overlay_estimates combined{percentile(sizes, third_quartile),
                                   percentile(joins, third_quartile),
                                   percentile(leaves, third_quartile)};
  return {combined, routing_table_sizes(combined.network_size),
          stabilization_interval(combined, config_.min_interval).value_or(config_.default_interval)};
}

}  // namespace p2psip::overlay
