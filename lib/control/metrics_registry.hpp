// Named counters and gauges, optionally labelled (reload_messages_total with
// type="store_req"). Registration takes a lock; updating a metric is one
// relaxed atomic operation, so any thread may update the handles it holds.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace p2psip::control {

using metric_labels = std::map<std::string, std::string>;

class counter_metric {
 public:
  void increment(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge_metric {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class metrics_registry {
 public:
  // Returns the metric for (name, labels), creating it on first use; the
  // reference stays valid for the registry's lifetime. Throws
  // std::invalid_argument for a name or label name Prometheus would reject,
  // or a name already registered as the other type.
  counter_metric& counter(std::string_view name, std::string_view help,
                          const metric_labels& labels = {});
  gauge_metric& gauge(std::string_view name, std::string_view help,
                      const metric_labels& labels = {});

  // {"name": {"type": "counter", "help": "...", "samples": [{"labels": {}, "value": 3}]}}
  boost::json::object to_json() const;
  // Prometheus text exposition format 0.0.4.
  std::string to_prometheus() const;

 private:
  enum class kind { counter, gauge };
  struct family {
    kind type;
    std::string help;
    std::map<metric_labels, std::unique_ptr<counter_metric>> counters;
    std::map<metric_labels, std::unique_ptr<gauge_metric>> gauges;
  };
  family& family_for(std::string_view name, std::string_view help, kind type,
                     const metric_labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, family, std::less<>> families_;
};

bool is_valid_metric_name(std::string_view name);
bool is_valid_label_name(std::string_view name);

}  // namespace p2psip::control
