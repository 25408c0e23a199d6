#include "daemon/config_reader.hpp"

#include <algorithm>
#include <charconv>

namespace p2psip::daemon::detail {
namespace {

std::string_view node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "a scalar";
  }
}

// A quoted scalar is a string even when it looks like a number or a boolean,
// as YAML means it; yaml-cpp tags plain scalars "?" and quoted ones "!".
bool is_plain(const YAML::Node& node) { return node.Tag() == "?"; }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view first_word(std::string_view key) { return key.substr(0, key.find('-')); }

}  // namespace

YAML::Mark usable_mark(const YAML::Mark& mark) {
  if (mark.is_null()) return YAML::Mark();  // 0:0, reported as 1:1
  return mark;
}

void config_context::fail(const YAML::Mark& mark, std::string reason) {
  if (error_) return;
  const YAML::Mark at = usable_mark(mark);
  error_ = config_error{source_, at.line + 1, at.column + 1, std::move(reason)};
}

std::filesystem::path config_context::resolve(const std::string& text) const {
  std::filesystem::path p(text);
  if (p.is_relative() && !options_.base_dir.empty()) p = options_.base_dir / p;
  return p.lexically_normal();
}

std::optional<std::string> nearest_key(std::string_view key,
                                       const std::vector<std::string>& known) {
  std::optional<std::string> best;
  std::size_t best_distance = key.size() / 3 + 2;  // beyond this it is not a typo
  for (const auto& candidate : known) {
    const std::size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  if (best) return best;
  // "access-policy" for "access-control": a renamed key keeps its first word.
  std::optional<std::string> same_word;
  for (const auto& candidate : known) {
    if (first_word(candidate) != first_word(key)) continue;
    if (same_word) return std::nullopt;  // ambiguous: no hint beats a wrong one
    same_word = candidate;
  }
  return same_word;
}

mapping_reader::mapping_reader(config_context& context, const YAML::Node& node, std::string path)
    : context_(context), path_(std::move(path)), mark_(usable_mark(node.Mark())) {
  if (context_.failed() || node.IsNull()) return;  // an empty section takes every default
  if (!node.IsMap()) {
    context_.fail(mark_, (path_.empty() ? std::string("the document") : path_) +
                             ": expected a mapping, got " + std::string(node_kind(node)));
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      context_.fail(it->first.Mark(),
                    "keys must be plain names, got " + std::string(node_kind(it->first)));
      return;
    }
    entry e{it->first.Scalar(), it->first, it->second};
    // yaml-cpp keeps both copies of a repeated key and lookups see the first;
    // a silently ignored setting is worse than a refusal.
    if (const entry* earlier = find(e.key)) {
      context_.fail(e.key_node.Mark(),
                    "duplicate key '" + key_name(e.key) + "' (first given at line " +
                        std::to_string(usable_mark(earlier->key_node.Mark()).line + 1) + ")");
      return;
    }
    entries_.push_back(std::move(e));
  }
}

const mapping_reader::entry* mapping_reader::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::string mapping_reader::key_name(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

YAML::Mark mapping_reader::value_mark(const entry& e) const {
  // yaml-cpp puts an empty value's mark on the next line; blame the key.
  return e.value.IsNull() ? e.key_node.Mark() : e.value.Mark();
}

bool mapping_reader::has(std::string_view key) const { return find(key) != nullptr; }

std::optional<YAML::Node> mapping_reader::child(std::string_view key) {
  known_keys_.emplace_back(key);
  const entry* e = find(key);
  if (context_.failed() || e == nullptr) return std::nullopt;
  return e->value;
}

void mapping_reader::fail_at(std::string_view key, const std::string& reason) {
  const entry* e = find(key);
  context_.fail(e ? value_mark(*e) : mark_, key_name(key) + ": " + reason);
}

void mapping_reader::require(std::string_view key) { required_keys_.emplace_back(key); }

std::optional<std::string> mapping_reader::scalar(const entry& e, std::string_view expected) {
  if (e.value.IsScalar()) return e.value.Scalar();
  context_.fail(value_mark(e), key_name(e.key) + ": expected " + std::string(expected) + ", got " +
                                   std::string(node_kind(e.value)));
  return std::nullopt;
}

void mapping_reader::string(std::string_view key, std::string& out) {
  known_keys_.emplace_back(key);
  const entry* e = find(key);
  if (context_.failed() || e == nullptr) return;
  if (auto text = scalar(*e, "a string")) out = std::move(*text);
}

void mapping_reader::optional_string(std::string_view key, std::optional<std::string>& out) {
  std::string value;
  string(key, value);
  if (!context_.failed() && has(key)) out = std::move(value);
}

void mapping_reader::checked_string(std::string_view key, std::string& out,
                                    const string_check& accept) {
  std::string value = out;
  string(key, value);
  if (context_.failed() || !has(key)) return;
  if (auto refusal = accept(value)) return fail_at(key, *refusal);
  out = std::move(value);
}

void mapping_reader::boolean(std::string_view key, bool& out) {
  known_keys_.emplace_back(key);
  const entry* e = find(key);
  if (context_.failed() || e == nullptr) return;
  auto text = scalar(*e, "true or false");
  if (!text) return;
  // YAML 1.2's core schema: yes/no/on/off are strings there, so refuse them
  // rather than guess.
  if (is_plain(e->value) && (*text == "true" || *text == "True" || *text == "TRUE")) {
    out = true;
  } else if (is_plain(e->value) && (*text == "false" || *text == "False" || *text == "FALSE")) {
    out = false;
  } else {
    context_.fail(value_mark(*e), key_name(key) + ": expected true or false, got '" + *text + "'");
  }
}

void mapping_reader::integer(std::string_view key, std::int64_t& out, std::int64_t min,
                             std::int64_t max) {
  known_keys_.emplace_back(key);
  const entry* e = find(key);
  if (context_.failed() || e == nullptr) return;
  auto text = scalar(*e, "an integer");
  if (!text) return;
  std::int64_t value = 0;
  const char* first = text->data();
  const char* last = first + text->size();
  const auto [end, ec] = std::from_chars(first, last, value);
  const bool numeric = is_plain(e->value) && !text->empty() && end == last;
  const std::string range = " (" + std::to_string(min) + ".." + std::to_string(max) + ")";
  if (numeric && ec == std::errc::result_out_of_range) {
    return context_.fail(value_mark(*e), key_name(key) + ": " + *text + " is out of range" + range);
  }
  if (!numeric || ec != std::errc()) {
    return context_.fail(value_mark(*e),
                         key_name(key) + ": expected an integer, got '" + *text + "'");
  }
  if (value < min || value > max) {
    return context_.fail(value_mark(*e), key_name(key) + ": " + *text + " is out of range" + range);
  }
  out = value;
}

void mapping_reader::path(std::string_view key, std::optional<std::filesystem::path>& out) {
  std::string text;
  string(key, text);
  if (context_.failed() || !has(key)) return;
  if (text.empty()) return fail_at(key, "expected a file path, got an empty string");
  out = context_.resolve(text);
}

void mapping_reader::choice(std::string_view key, std::size_t& out,
                            const std::vector<std::string_view>& choices) {
  std::string text;
  string(key, text);
  if (context_.failed() || !has(key)) return;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) {
      out = i;
      return;
    }
  }
  std::string allowed;
  for (const auto& c : choices) allowed += (allowed.empty() ? "" : ", ") + std::string(c);
  fail_at(key, "'" + text + "' is not one of " + allowed);
}

void mapping_reader::string_list(std::string_view key, std::vector<std::string>& out,
                                 const string_check& accept) {
  known_keys_.emplace_back(key);
  const entry* e = find(key);
  if (context_.failed() || e == nullptr) return;
  if (e->value.IsNull()) {  // "key:" with nothing after it: an empty list
    out.clear();
    return;
  }
  if (!e->value.IsSequence()) {
    return context_.fail(value_mark(*e), key_name(key) + ": expected a list, got " +
                                             std::string(node_kind(e->value)));
  }
  std::vector<std::string> values;
  for (std::size_t i = 0; i < e->value.size(); ++i) {
    const YAML::Node item = e->value[i];
    const std::string item_name = key_name(key) + "[" + std::to_string(i) + "]";
    if (!item.IsScalar()) {
      return context_.fail(item.Mark(),
                           item_name + ": expected a string, got " + std::string(node_kind(item)));
    }
    if (auto refusal = accept(item.Scalar())) {
      return context_.fail(item.Mark(), item_name + ": " + *refusal);
    }
    values.push_back(item.Scalar());
  }
  out = std::move(values);
}

void mapping_reader::finish() {
  if (context_.failed()) return;
  for (const auto& e : entries_) {
    if (std::find(known_keys_.begin(), known_keys_.end(), e.key) != known_keys_.end()) continue;
    std::string reason = "unknown key '" + key_name(e.key) + "'";
    if (auto hint = nearest_key(e.key, known_keys_)) reason += "; did you mean '" + *hint + "'?";
    return context_.fail(e.key_node.Mark(), reason);
  }
  for (const auto& key : required_keys_) {
    if (!has(key)) return context_.fail(mark_, "missing required key '" + key_name(key) + "'");
  }
}

}  // namespace p2psip::daemon::detail
