// Typed reads from a yaml-cpp tree that remember the first error with its
// position. Internal to daemon_config: the schema code reads top to bottom,
// and once a read fails every later read is a no-op, so the first problem in
// the document is the one reported.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "daemon/daemon_config.hpp"

namespace p2psip::daemon::detail {

// Where errors go; shared by every mapping_reader of one document.
class config_context {
 public:
  config_context(std::string source, parse_options options)
      : source_(std::move(source)), options_(std::move(options)) {}

  bool failed() const noexcept { return error_.has_value(); }
  // Keeps only the first error.
  void fail(const YAML::Mark& mark, std::string reason);
  const config_error& error() const { return *error_; }

  const parse_options& options() const noexcept { return options_; }
  // A path from the document, made absolute against the config's directory.
  std::filesystem::path resolve(const std::string& text) const;

 private:
  std::string source_;
  parse_options options_;
  std::optional<config_error> error_;
};

// The nearest of `known` to `key` when it is close enough to be a likely
// typo (or shares its first word), for "did you mean" hints.
std::optional<std::string> nearest_key(std::string_view key, const std::vector<std::string>& known);

// One YAML mapping. Each read names its key (which makes the key known),
// stores the value if present and valid, and leaves the default otherwise.
// finish() refuses whatever keys were never read.
class mapping_reader {
 public:
  // `path` is the dotted name errors use, e.g. "overlay" or "overlay.kinds[2]".
  mapping_reader(config_context& context, const YAML::Node& node, std::string path);

  void string(std::string_view key, std::string& out);
  void optional_string(std::string_view key, std::optional<std::string>& out);
  void boolean(std::string_view key, bool& out);
  void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  template <class Int>
  void integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    std::int64_t wide = static_cast<std::int64_t>(out);
    integer(key, wide, min, max);
    out = static_cast<Int>(wide);
  }
  // A file path, resolved against the configuration's directory.
  void path(std::string_view key, std::optional<std::filesystem::path>& out);
  // A string checked by `accept`, which returns the reason it is refused, if it is.
  using string_check = std::function<std::optional<std::string>(const std::string&)>;
  void checked_string(std::string_view key, std::string& out, const string_check& accept);
  // One of `choices` (exact spelling); returns its index.
  void choice(std::string_view key, std::size_t& out, const std::vector<std::string_view>& choices);
  // A sequence of strings, each checked by `accept`.
  void string_list(std::string_view key, std::vector<std::string>& out, const string_check& accept);

  // The node under `key` if present (marking it read), for nested sections.
  std::optional<YAML::Node> child(std::string_view key);
  bool has(std::string_view key) const;

  // An error at `key`'s value (or at the mapping when the key is absent).
  void fail_at(std::string_view key, const std::string& reason);
  // Checked by finish(), after unknown keys: "nmae: x" is better reported
  // as a typo of name than as name missing.
  void require(std::string_view key);
  // Refuses keys never read (with a hint), then required keys that are absent.
  void finish();

  const std::string& path_name() const noexcept { return path_; }
  std::string key_name(std::string_view key) const;
  const YAML::Mark& mark() const noexcept { return mark_; }
  config_context& context() noexcept { return context_; }

 private:
  struct entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const entry* find(std::string_view key) const;
  // The value's scalar text, or an error naming what was there instead.
  std::optional<std::string> scalar(const entry& e, std::string_view expected);
  // The position to blame for a value: its own, or its key's for an empty value.
  YAML::Mark value_mark(const entry& e) const;

  config_context& context_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<entry> entries_;
  std::vector<std::string> known_keys_;
  std::vector<std::string> required_keys_;
};

// Marks are 0-based and may be null (an empty document); errors want 1-based.
YAML::Mark usable_mark(const YAML::Mark& mark);

}  // namespace p2psip::daemon::detail
