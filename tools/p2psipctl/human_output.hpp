// Results as a person reads them on a terminal: scalars as aligned
// "name  value" lines, arrays of objects as tables, nested objects indented.
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace p2psip::ctl {

std::string render_human(const boost::json::object& result);
// metrics.get's JSON format as one table, a line per sample: METRIC,
// LABELS (k=v,...), VALUE, TYPE, HELP.
std::string render_metrics(const boost::json::object& result);

}  // namespace p2psip::ctl
