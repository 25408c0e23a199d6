#include "control/metrics_registry.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace p2psip::control {

namespace json = boost::json;

namespace {

bool is_name_start(char c, bool colon_allowed) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (colon_allowed && c == ':');
}

bool is_valid_name(std::string_view name, bool colon_allowed) {
  if (name.empty() || !is_name_start(name.front(), colon_allowed)) return false;
  for (char c : name) {
    if (!is_name_start(c, colon_allowed) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape(std::string_view text, bool quote_too) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote_too && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

std::string label_text(const metric_labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name + "=\"" + escape(value, true) + '"';
  }
  return out + '}';
}

json::object labels_json(const metric_labels& labels) {
  json::object out;
  for (const auto& [name, value] : labels) out[name] = value;
  return out;
}

}  // namespace

bool is_valid_metric_name(std::string_view name) { return is_valid_name(name, true); }

bool is_valid_label_name(std::string_view name) {
  // Names starting with __ are reserved for Prometheus itself.
  return is_valid_name(name, false) && !name.starts_with("__");
}

metrics_registry::family& metrics_registry::family_for(std::string_view name, std::string_view help,
                                                       kind type, const metric_labels& labels) {
  if (!is_valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name: " + std::string(name));
  }
  for (const auto& [label, value] : labels) {
    if (!is_valid_label_name(label)) throw std::invalid_argument("invalid label name: " + label);
  }
  auto found = families_.find(name);
  if (found == families_.end()) {
    found = families_.emplace(std::string(name), family{type, std::string(help), {}, {}}).first;
  } else if (found->second.type != type) {
    throw std::invalid_argument("metric registered with another type: " + std::string(name));
  }
  return found->second;
}

counter_metric& metrics_registry::counter(std::string_view name, std::string_view help,
                                          const metric_labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family_for(name, help, kind::counter, labels).counters[labels];
  if (!slot) slot = std::make_unique<counter_metric>();
  return *slot;
}

gauge_metric& metrics_registry::gauge(std::string_view name, std::string_view help,
                                      const metric_labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family_for(name, help, kind::gauge, labels).gauges[labels];
  if (!slot) slot = std::make_unique<gauge_metric>();
  return *slot;
}

json::object metrics_registry::to_json() const {
  std::lock_guard lock(mutex_);
  json::object out;
  for (const auto& [name, family] : families_) {
    json::array samples;
    for (const auto& [labels, metric] : family.counters) {
      samples.push_back(json::object{{"labels", labels_json(labels)}, {"value", metric->value()}});
    }
    for (const auto& [labels, metric] : family.gauges) {
      samples.push_back(json::object{{"labels", labels_json(labels)}, {"value", metric->value()}});
    }
    out[name] = json::object{{"type", family.type == kind::counter ? "counter" : "gauge"},
                             {"help", family.help},
                             {"samples", std::move(samples)}};
  }
  return out;
}

std::string metrics_registry::to_prometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + ' ' + escape(family.help, false) + '\n';
    out += "# TYPE " + name + (family.type == kind::counter ? " counter\n" : " gauge\n");
    for (const auto& [labels, metric] : family.counters) {
      out += name + label_text(labels) + ' ' + std::to_string(metric->value()) + '\n';
    }
    for (const auto& [labels, metric] : family.gauges) {
      out += name + label_text(labels) + ' ' + format_value(metric->value()) + '\n';
    }
  }
  return out;
}

}  // namespace p2psip::control
