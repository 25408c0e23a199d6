#include "human_output.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include <boost/json/serialize.hpp>

namespace p2psip::ctl {

namespace json = boost::json;

namespace {

std::string cell(const json::value& value) {
  if (value.is_string()) return std::string(value.as_string());
  if (value.is_null()) return "-";
  if (value.is_double()) {
    // serialize() would write 1.5E0, which is valid JSON but not for people;
    // 15 digits keep a byte count such as 1403280 whole.
    std::ostringstream text;
    text.precision(15);
    text << value.as_double();
    return text.str();
  }
  return json::serialize(value);
}

bool is_scalar(const json::value& value) { return !value.is_object() && !value.is_array(); }

bool is_table(const json::array& rows) {
  return !rows.empty() && std::all_of(rows.begin(), rows.end(),
                                      [](const json::value& row) { return row.is_object(); });
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// A table row as lines of (column, text): a nested object adds its members
// as columns "key.member", and a nested table (an array of objects, such as
// a registration's contacts) adds one line per element, so that no cell
// holds JSON.
using flat_line = std::vector<std::pair<std::string, std::string>>;

std::vector<flat_line> flatten(const json::object& row, const std::string& prefix) {
  std::vector<flat_line> lines(1);
  for (const auto& member : row) {
    const std::string key = prefix + std::string(member.key());
    const json::value& value = member.value();
    std::vector<flat_line> nested;
    if (value.is_object()) {
      nested = flatten(value.as_object(), key + ".");
    } else if (value.is_array() && is_table(value.as_array())) {
      for (const auto& element : value.as_array()) {
        auto more = flatten(element.as_object(), key + ".");
        nested.insert(nested.end(), more.begin(), more.end());
      }
    } else if (value.is_array()) {
      std::string items;
      for (const auto& item : value.as_array()) items += (items.empty() ? "" : ", ") + cell(item);
      lines[0].emplace_back(key, items.empty() ? "-" : items);
      continue;
    } else {
      lines[0].emplace_back(key, cell(value));
      continue;
    }
    for (std::size_t i = 0; i < nested.size(); ++i) {
      if (i >= lines.size()) lines.emplace_back();
      lines[i].insert(lines[i].end(), nested[i].begin(), nested[i].end());
    }
  }
  return lines;
}

void render_table(const json::array& rows, const std::string& indent, std::string& out) {
  std::vector<std::vector<flat_line>> flat;
  std::vector<std::string> columns;
  for (const auto& row : rows) {
    flat.push_back(flatten(row.as_object(), ""));
    for (const auto& line : flat.back()) {
      for (const auto& [key, text] : line) {
        if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
      }
    }
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const auto& column : columns) widths.push_back(column.size());
  for (const auto& lines : flat) {
    for (std::size_t l = 0; l < lines.size(); ++l) {
      auto& line = cells.emplace_back();
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const auto found = std::find_if(lines[l].begin(), lines[l].end(),
                                        [&](const auto& entry) { return entry.first == columns[c]; });
        // A continuation line leaves the row's own cells blank.
        line.push_back(found != lines[l].end() ? found->second : l == 0 ? "-" : "");
        widths[c] = std::max(widths[c], line.back().size());
      }
    }
  }
  const auto emit = [&](const std::vector<std::string>& line) {
    std::string text = indent;
    for (std::size_t c = 0; c < line.size(); ++c) {
      text += line[c];
      if (c + 1 < line.size()) text += std::string(widths[c] - line[c].size() + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + '\n';
  };
  std::vector<std::string> header;
  for (const auto& column : columns) header.push_back(upper(column));
  emit(header);
  for (const auto& line : cells) emit(line);
}

void render_object(const json::object& object, const std::string& indent, std::string& out) {
  std::size_t width = 0;
  for (const auto& member : object) width = std::max(width, member.key().size());
  for (const auto& member : object) {
    const std::string key(member.key());
    const json::value& value = member.value();
    const std::string padding(width - key.size() + 2, ' ');
    if (is_scalar(value)) {
      out += indent + key + padding + cell(value) + '\n';
    } else if (value.is_object()) {
      out += indent + key + ":\n";
      render_object(value.as_object(), indent + "  ", out);
    } else if (value.as_array().empty()) {
      out += indent + key + padding + "(none)\n";
    } else if (is_table(value.as_array())) {
      out += indent + key + ":\n";
      render_table(value.as_array(), indent + "  ", out);
    } else {
      std::string items;
      for (const auto& item : value.as_array()) items += (items.empty() ? "" : ", ") + cell(item);
      out += indent + key + padding + items + '\n';
    }
  }
}

}  // namespace

std::string render_metrics(const json::object& result) {
  const json::value* families = result.if_contains("metrics");
  if (!families || !families->is_object()) return render_human(result);
  json::array rows;
  for (const auto& family : families->as_object()) {
    if (!family.value().is_object()) continue;
    const json::object& f = family.value().as_object();
    const json::value* samples = f.if_contains("samples");
    if (!samples || !samples->is_array()) continue;
    const auto text_of = [&](const char* key) {
      const json::value* v = f.if_contains(key);
      return v ? *v : json::value(nullptr);
    };
    for (const auto& sample : samples->as_array()) {
      if (!sample.is_object()) continue;
      std::string labels;
      if (const json::value* l = sample.as_object().if_contains("labels"); l && l->is_object()) {
        for (const auto& label : l->as_object())
          labels +=
              (labels.empty() ? "" : ",") + std::string(label.key()) + "=" + cell(label.value());
      }
      const json::value* value = sample.as_object().if_contains("value");
      rows.push_back(json::object{{"metric", family.key()},
                                  {"labels", labels.empty() ? "-" : labels},
                                  {"value", value ? *value : json::value(nullptr)},
                                  {"type", text_of("type")},
                                  {"help", text_of("help")}});
    }
  }
  if (rows.empty()) return "(no metrics)\n";
  std::string out;
  render_table(rows, "", out);
  return out;
}

std::string render_human(const json::object& result) {
  std::string out;
  render_object(result, "", out);
  if (out.empty()) out = "ok\n";
  return out;
}

}  // namespace p2psip::ctl
