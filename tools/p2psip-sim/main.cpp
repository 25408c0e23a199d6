// p2psip-sim: thousands of real overlay and storage nodes in one process, on
// simulated links and time. Reports lookup hops, success and latency, stored
// data survival under churn, maintenance traffic, memory per node and speed.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "overlay/sim/overlay_world.hpp"
#include "storage/kind_registry.hpp"
#include "storage/overlay_storage.hpp"
#include "storage/simulated_data_verifier.hpp"
#include "wire/fetch.hpp"
#include "wire/id_hash.hpp"
#include "wire/store.hpp"

using namespace p2psip;
using namespace std::chrono_literals;

namespace {

struct options {
  std::size_t nodes = 100;
  double duration = 600;      // seconds of measurement after the overlay formed
  double churn_median = 0;    // median session seconds; 0: no churn
  std::size_t lookups = 1000;
  std::size_t values = 0;     // 0: min(nodes, 1000)
  std::uint64_t seed = 1;
  bool json = false;
  std::string plot;            // write an SVG of hops against N here
  std::vector<std::size_t> plot_sizes{100, 300, 1000, 3000, 10000};
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "p2psip-sim: %s\n"
               "usage: p2psip-sim --nodes N [--duration SECONDS] [--churn-median SECONDS]\n"
               "                  [--lookups K] [--values V] [--seed S] [--json]\n"
               "       p2psip-sim --plot FILE.svg [--sizes 100,1000,10000] [--lookups K] [--seed S]\n",
               why);
  std::exit(3);
}

template <class T>
T parse_number(std::string_view text, const char* what) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) usage(what);
  return value;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (arg == "--nodes") o.nodes = parse_number<std::size_t>(value(), "bad --nodes");
    else if (arg == "--duration") o.duration = parse_number<double>(value(), "bad --duration");
    else if (arg == "--churn-median") o.churn_median = parse_number<double>(value(), "bad --churn-median");
    else if (arg == "--lookups") o.lookups = parse_number<std::size_t>(value(), "bad --lookups");
    else if (arg == "--values") o.values = parse_number<std::size_t>(value(), "bad --values");
    else if (arg == "--seed") o.seed = parse_number<std::uint64_t>(value(), "bad --seed");
    else if (arg == "--json") o.json = true;
    else if (arg == "--plot") o.plot = value();
    else if (arg == "--sizes") {
      o.plot_sizes.clear();
      std::string_view list = value();
      while (!list.empty()) {
        const auto comma = list.find(',');
        o.plot_sizes.push_back(parse_number<std::size_t>(list.substr(0, comma), "bad --sizes"));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    } else if (arg == "--help" || arg == "-h") usage("help");
    else usage("unknown option");
  }
  if (o.nodes < 2 && o.plot.empty()) usage("--nodes must be at least 2");
  return o;
}

// This process's CPU time: on a shared machine it, not the wall clock,
// tells what the simulation itself costs.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

struct report {
  std::size_t nodes = 0;
  double duration = 0;
  double churn_median = 0;
  std::size_t lookups_sent = 0;
  std::size_t lookups_attempted = 0;  // sent and ended, by an answer or a timeout
  std::size_t lookups_succeeded = 0;
  std::vector<double> hops;
  std::vector<double> latency_ms;
  std::size_t values_stored = 0;
  std::size_t values_lost = 0;
  std::size_t joins = 0;
  std::size_t leaves = 0;
  std::size_t crashes = 0;
  double maintenance_per_node_minute = 0;
  double bytes_per_node = 0;
  double sim_seconds = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;
  bool ring_consistent = false;
  double finger_accuracy = 0;
};

// The simulation: a world of overlay nodes, each with its storage layer.
class simulation {
 public:
  explicit simulation(const options& o)
      : options_(o), kinds_(storage::kind_registry::with_defaults()), world_(make_config(o)) {
    world_.on_node_created = [this](overlay::overlay_node& node) {
      storages_.emplace(node.self(), std::make_unique<storage::overlay_storage>(node, kinds_, verifier_));
    };
    world_.on_node_destroyed = [this](overlay::overlay_node& node) { storages_.erase(node.self()); };
  }

  report run() {
    report r;
    r.nodes = options_.nodes;
    r.duration = options_.duration;
    r.churn_median = options_.churn_median;
    const auto wall_start = std::chrono::steady_clock::now();
    const auto cpu_start = cpu_seconds();
    const auto rss_before = resident_bytes();
    form_overlay();
    const auto rss_formed = resident_bytes();
    r.bytes_per_node = static_cast<double>(rss_formed - std::min(rss_formed, rss_before)) /
                       static_cast<double>(options_.nodes);
    store_values(r);
    const auto delivered_before = world_.net().stats().delivered;
    measure(r);
    const auto minutes = options_.duration / 60.0;
    // Lookups and their answers are not maintenance: subtract their hops.
    double lookup_messages = 0;
    for (double h : r.hops) lookup_messages += 2 * h;
    const double maintenance =
        static_cast<double>(world_.net().stats().delivered - delivered_before) - lookup_messages;
    r.maintenance_per_node_minute =
        std::max(0.0, maintenance) / static_cast<double>(options_.nodes) / std::max(minutes, 1e-9);
    settle_and_count_losses(r);
    r.sim_seconds = std::chrono::duration<double>(world_.scheduler().now().time_since_epoch()).count();
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    r.cpu_seconds = cpu_seconds() - cpu_start;
    return r;
  }

 private:
  static overlay::sim::world_config make_config(const options& o) {
    overlay::sim::world_config config;
    config.seed = o.seed;
    config.network.seed = o.seed ^ 0x9e3779b97f4a7c15ull;
    config.network.default_link.latency = 20ms;
    config.overlay.self_tuning = true;
    return config;
  }

  void form_overlay() {
    // Joins arrive at 50 per simulated second, each through a random member.
    for (std::size_t i = 0; i < options_.nodes; ++i) {
      world_.add_node();
      world_.scheduler().run_for(20ms);
    }
    for (int i = 0; i < 60 && world_.joined_ids().size() < options_.nodes; ++i) {
      world_.scheduler().run_for(5s);
    }
    world_.scheduler().run_for(60s);
  }

  wire::resource_id value_resource(std::size_t i) const {
    return wire::hash_resource_name("user-" + std::to_string(i) + "@sim.p2psip");
  }

  void store_values(report& r) {
    const std::size_t count = options_.values ? options_.values : std::min<std::size_t>(options_.nodes, 1000);
    const auto ring = world_.joined_ids();
    std::size_t answered = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const auto& from = ring[world_.random()() % ring.size()];
      auto* node = world_.node(from);
      const std::string user = "user-" + std::to_string(i) + "@sim.p2psip";
      wire::stored_data data;
      data.storage_time = node->wall_clock_ms();
      data.lifetime = 86400;
      wire::dictionary_entry entry;
      entry.key = {'k'};
      entry.value.exists = true;
      entry.value.value.assign(64, static_cast<std::uint8_t>(i));
      data.value.entry = std::move(entry);
      if (!storage::sign_simulated(value_resource(i), storage::app_data_kind, data,
                                   storage::signer{user, from})) {
        continue;
      }
      wire::store_req request;
      request.resource = value_resource(i);
      request.kind_data.push_back({storage::app_data_kind, wire::generation_counter{0},
                                   std::vector<wire::stored_data>{std::move(data)}});
      // The destination is made before the request is moved into the body.
      auto destination = wire::destination::resource(request.resource);
      node->send_request({std::move(destination)}, {wire::message_code::store_req, std::move(request)},
                         [&r, &answered](overlay::answer_result result) {
                           ++answered;
                           if (result) {
                             ++r.values_stored;
                           } else if (std::getenv("P2PSIP_SIM_DEBUG")) {
                             std::fprintf(stderr, "store failed: %s %s\n",
                                          overlay::to_string(result.error().failure),
                                          result.error().info.c_str());
                           }
                         });
      world_.scheduler().run_for(5ms);
      stored_.push_back(i);
    }
    for (int i = 0; i < 600 && answered < count; ++i) world_.scheduler().run_for(100ms);
    world_.scheduler().run_for(10s);  // replicas settle
  }

  // A Fetch of a stored value from a random node; success when it is found.
  void lookup(report& r, std::size_t value, const wire::node_id& from) {
    auto* node = world_.node(from);
    if (!node || node->state() != overlay::node_state::joined) return;
    // Counted when it ends: a lookup whose originator departs meanwhile has
    // no outcome (lookups_abandoned), neither success nor failure.
    ++r.lookups_sent;
    wire::fetch_req request;
    request.resource = value_resource(value);
    request.specifiers.push_back({storage::app_data_kind, wire::generation_counter{0},
                                  std::vector<wire::dictionary_key>{}});
    const auto start = world_.scheduler().now();
    auto destination = wire::destination::resource(request.resource);
    node->send_request({std::move(destination)}, {wire::message_code::fetch_req, std::move(request)},
                       [this, &r, start](overlay::answer_result result) {
                         if (!result && result.error().failure == overlay::request_failure::stopped) return;
                         ++r.lookups_attempted;
                         if (!result) {
                           if (std::getenv("P2PSIP_SIM_DEBUG")) {
                             std::fprintf(stderr, "lookup failed: %s %s\n",
                                          overlay::to_string(result.error().failure),
                                          result.error().info.c_str());
                           }
                           return;
                         }
                         const auto* fetched = std::get_if<wire::fetch_ans>(&result->body.value);
                         if (!fetched || fetched->kind_responses.empty()) return;
                         const auto* values = std::get_if<0>(&fetched->kind_responses[0].values);
                         const bool found = values && std::any_of(values->begin(), values->end(), [](const auto& v) {
                           const auto* e = std::get_if<wire::dictionary_entry>(&v.value.entry);
                           return e && e->value.exists;
                         });
                         if (!found) {
                           if (std::getenv("P2PSIP_SIM_DEBUG")) std::fprintf(stderr, "lookup empty\n");
                           return;
                         }
                         ++r.lookups_succeeded;
                         r.hops.push_back(static_cast<double>(result->hops));
                         r.latency_ms.push_back(
                             std::chrono::duration<double, std::milli>(world_.scheduler().now() - start).count());
                       });
  }

  void schedule_departure(const wire::node_id& id) {
    if (options_.churn_median <= 0) return;
    // Exponential sessions with the given median: rate ln 2 / median.
    const double u = (static_cast<double>(world_.random()() >> 11) + 0.5) * 0x1p-53;
    const double session = -std::log(u) * options_.churn_median / std::log(2.0);
    world_.scheduler().schedule(std::chrono::duration_cast<overlay::duration>(
                                    std::chrono::duration<double>(session)),
                                [this, id] { depart(id); });
  }

  void depart(const wire::node_id& id) {
    if (!measuring_ || !world_.node(id)) return;
    if (world_.random()() & 1) {
      ++report_->leaves;
      world_.leave(id);
    } else {
      ++report_->crashes;
      world_.crash(id);
    }
    // A newcomer keeps the population steady.
    ++report_->joins;
    schedule_departure(world_.add_node());
  }

  void measure(report& r) {
    report_ = &r;
    measuring_ = true;
    for (const auto& id : world_.joined_ids()) schedule_departure(id);
    const auto step = std::chrono::duration<double>(options_.duration / static_cast<double>(std::max<std::size_t>(options_.lookups, 1)));
    const auto step_ticks = std::chrono::duration_cast<overlay::duration>(step);
    for (std::size_t i = 0; i < options_.lookups; ++i) {
      const auto from = world_.random_joined();
      if (from && !stored_.empty()) lookup(r, stored_[world_.random()() % stored_.size()], *from);
      world_.scheduler().run_for(step_ticks);
    }
    if (options_.lookups == 0) {
      world_.scheduler().run_for(std::chrono::duration_cast<overlay::duration>(std::chrono::duration<double>(options_.duration)));
    }
    measuring_ = false;
    world_.scheduler().run_for(20s);  // outstanding lookups finish
  }

  void settle_and_count_losses(report& r) {
    world_.scheduler().run_for(120s);
    if (std::getenv("P2PSIP_SIM_DEBUG")) {
      overlay::node_counters sum;
      const auto ring = world_.joined_ids();
      std::size_t links = 0, max_links = 0;
      for (const auto& id : ring) {
        const auto count = world_.node(id)->linked_peers().size();
        links += count;
        max_links = std::max(max_links, count);
      }
      std::fprintf(stderr, "links per node: mean %.1f, max %zu\n",
                   static_cast<double>(links) / static_cast<double>(std::max<std::size_t>(1, ring.size())),
                   max_links);
      for (const auto& id : ring) {
        const auto& c = world_.node(id)->counters();
        sum.dropped_malformed += c.dropped_malformed;
        sum.dropped_unroutable += c.dropped_unroutable;
        sum.dropped_bad_signature += c.dropped_bad_signature;
        sum.dropped_duplicate += c.dropped_duplicate;
        sum.delivered += c.delivered;
        sum.errors_sent += c.errors_sent;
        sum.links_failed += c.links_failed;
        sum.links_suspected += c.links_suspected;
        sum.ttl_exceeded += c.ttl_exceeded;
      }
      std::fprintf(stderr, "malformed %lu unroutable %lu badsig %lu dup %lu delivered %lu errors %lu suspected %lu failed %lu ttl %lu\n",
                   (unsigned long)sum.dropped_malformed, (unsigned long)sum.dropped_unroutable,
                   (unsigned long)sum.dropped_bad_signature, (unsigned long)sum.dropped_duplicate,
                   (unsigned long)sum.delivered, (unsigned long)sum.errors_sent,
                   (unsigned long)sum.links_suspected, (unsigned long)sum.links_failed,
                   (unsigned long)sum.ttl_exceeded);
    }
    std::size_t mismatches = 0;
    r.ring_consistent = world_.ring_consistent(&mismatches);
    if (std::getenv("P2PSIP_SIM_DEBUG")) std::fprintf(stderr, "ring mismatches %zu\n", mismatches);
    r.finger_accuracy = world_.finger_accuracy();
    // A value is lost when no live peer holds it any more.
    for (std::size_t i : stored_) {
      const auto resource = value_resource(i);
      bool held = false;
      for (const auto& [id, storage] : storages_) {
        const auto* entry = storage->store().find(resource, storage::app_data_kind);
        if (entry) {
          held = true;
          break;
        }
      }
      if (!held) ++r.values_lost;
    }
  }

  options options_;
  // Declared before the world, so they outlive the nodes that use them.
  storage::kind_registry kinds_;
  storage::simulated_data_verifier verifier_;
  std::map<wire::node_id, std::unique_ptr<storage::overlay_storage>> storages_;
  overlay::sim::overlay_world world_;
  std::vector<std::size_t> stored_;
  report* report_ = nullptr;
  bool measuring_ = false;
};

double lookup_success(const report& r) {
  if (r.lookups_attempted == 0) return 0;
  return static_cast<double>(r.lookups_succeeded) / static_cast<double>(r.lookups_attempted);
}

void print_table(const report& r) {
  const double success = lookup_success(r);
  std::printf("nodes                         %zu\n", r.nodes);
  std::printf("churn median (s)              %.0f  (joins %zu, leaves %zu, crashes %zu)\n",
              r.churn_median, r.joins, r.leaves, r.crashes);
  std::printf("lookups                       %zu ended (%zu abandoned by departing originators), success %.4f\n",
              r.lookups_attempted, r.lookups_sent - r.lookups_attempted, success);
  std::printf("lookup hops                   mean %.2f  p50 %.0f  p99 %.0f  (bar 0.5*log2 N + 0.5 = %.2f)\n",
              mean(r.hops), percentile(r.hops, 50), percentile(r.hops, 99),
              0.5 * std::log2(static_cast<double>(r.nodes)) + 0.5);
  std::printf("lookup latency (ms)           mean %.1f  p50 %.1f  p99 %.1f\n", mean(r.latency_ms),
              percentile(r.latency_ms, 50), percentile(r.latency_ms, 99));
  std::printf("stored values                 %zu stored, %zu lost\n", r.values_stored, r.values_lost);
  std::printf("maintenance msgs/node/minute  %.2f\n", r.maintenance_per_node_minute);
  std::printf("memory per node (bytes)       %.0f\n", r.bytes_per_node);
  std::printf("ring consistent at end        %s  (finger accuracy %.3f)\n",
              r.ring_consistent ? "yes" : "no", r.finger_accuracy);
  std::printf("simulated / wall seconds      %.0f / %.1f = %.1fx\n", r.sim_seconds, r.wall_seconds,
              r.sim_seconds / std::max(r.wall_seconds, 1e-9));
  std::printf("simulated / CPU seconds       %.0f / %.1f = %.1fx\n", r.sim_seconds, r.cpu_seconds,
              r.sim_seconds / std::max(r.cpu_seconds, 1e-9));
}

void print_json(const report& r) {
  const double success = lookup_success(r);
  std::printf(
      "{\"nodes\":%zu,\"duration\":%.0f,\"churn_median\":%.0f,\"lookups\":%zu,\"lookups_abandoned\":%zu,"
      "\"lookup_success\":%.6f,\"mean_hops\":%.4f,\"p50_hops\":%.0f,\"p99_hops\":%.0f,"
      "\"mean_latency_ms\":%.2f,\"p50_latency_ms\":%.2f,\"p99_latency_ms\":%.2f,"
      "\"values_stored\":%zu,\"values_lost\":%zu,\"joins\":%zu,\"leaves\":%zu,\"crashes\":%zu,"
      "\"maintenance_per_node_minute\":%.3f,\"bytes_per_node\":%.0f,\"ring_consistent\":%s,"
      "\"finger_accuracy\":%.4f,\"sim_seconds\":%.1f,\"wall_seconds\":%.2f,"
      "\"sim_seconds_per_wall_second\":%.2f,\"cpu_seconds\":%.2f,\"sim_seconds_per_cpu_second\":%.2f}\n",
      r.nodes, r.duration, r.churn_median, r.lookups_attempted, r.lookups_sent - r.lookups_attempted, success, mean(r.hops),
      percentile(r.hops, 50), percentile(r.hops, 99), mean(r.latency_ms), percentile(r.latency_ms, 50),
      percentile(r.latency_ms, 99), r.values_stored, r.values_lost, r.joins, r.leaves, r.crashes,
      r.maintenance_per_node_minute, r.bytes_per_node, r.ring_consistent ? "true" : "false",
      r.finger_accuracy, r.sim_seconds, r.wall_seconds, r.sim_seconds / std::max(r.wall_seconds, 1e-9),
      r.cpu_seconds, r.sim_seconds / std::max(r.cpu_seconds, 1e-9));
}

// An SVG line chart of mean hops against N, with the ½·log2 N + 0.5 bar.
void write_plot(const options& o) {
  std::vector<std::pair<double, double>> points;
  for (auto n : o.plot_sizes) {
    options one = o;
    one.nodes = n;
    one.duration = 300;
    const auto r = simulation(one).run();
    points.emplace_back(static_cast<double>(n), mean(r.hops));
    std::fprintf(stderr, "N=%zu mean hops %.2f\n", n, mean(r.hops));
  }
  const double w = 640, h = 400, left = 60, bottom = 50, top = 30, right = 20;
  const double xmin = std::log10(points.front().first), xmax = std::log10(points.back().first);
  const double ymax = 0.5 * std::log2(points.back().first) + 2;
  const auto x = [&](double n) { return left + (std::log10(n) - xmin) / std::max(xmax - xmin, 1e-9) * (w - left - right); };
  const auto y = [&](double v) { return h - bottom - v / ymax * (h - bottom - top); };
  std::ofstream svg(o.plot);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h << "'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << w / 2 << "' y='20' text-anchor='middle' font-family='sans-serif'>p2psip-sim: mean lookup hops against N</text>\n"
      << "<line x1='" << left << "' y1='" << h - bottom << "' x2='" << w - right << "' y2='" << h - bottom << "' stroke='black'/>\n"
      << "<line x1='" << left << "' y1='" << top << "' x2='" << left << "' y2='" << h - bottom << "' stroke='black'/>\n";
  for (int v = 0; v <= static_cast<int>(ymax); v += 2) {
    svg << "<text x='" << left - 8 << "' y='" << y(v) + 4 << "' text-anchor='end' font-size='12' font-family='sans-serif'>" << v << "</text>\n";
  }
  std::string measured, bar;
  for (const auto& [n, hops] : points) {
    measured += std::to_string(x(n)) + "," + std::to_string(y(hops)) + " ";
    bar += std::to_string(x(n)) + "," + std::to_string(y(0.5 * std::log2(n) + 0.5)) + " ";
    svg << "<circle cx='" << x(n) << "' cy='" << y(hops) << "' r='4' fill='steelblue'/>\n"
        << "<text x='" << x(n) << "' y='" << h - bottom + 18 << "' text-anchor='middle' font-size='12' font-family='sans-serif'>" << n << "</text>\n";
  }
  svg << "<polyline points='" << bar << "' fill='none' stroke='firebrick' stroke-dasharray='6,4'/>\n"
      << "<polyline points='" << measured << "' fill='none' stroke='steelblue' stroke-width='2'/>\n"
      << "<text x='" << w - right << "' y='" << top + 14 << "' text-anchor='end' font-size='12' fill='firebrick' font-family='sans-serif'>bar: 0.5 log2 N + 0.5</text>\n"
      << "<text x='" << w - right << "' y='" << top + 30 << "' text-anchor='end' font-size='12' fill='steelblue' font-family='sans-serif'>measured mean hops</text>\n"
      << "<text x='" << w / 2 << "' y='" << h - 10 << "' text-anchor='middle' font-size='12' font-family='sans-serif'>N (log scale)</text>\n"
      << "</svg>\n";
}

}  // namespace

int main(int argc, char** argv) {
  const auto o = parse(argc, argv);
  if (!o.plot.empty()) {
    write_plot(o);
    return 0;
  }
  const auto r = simulation(o).run();
  if (o.json) {
    print_json(r);
  } else {
    print_table(r);
  }
  return 0;
}
