// One schema per control method. It is the single source for the server's
// parameter validation, rpc.help, the p2psip-rpc(7) man page and the CLI's
// key=value typing and bash completion, so these cannot drift apart.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "control/rpc_error.hpp"

namespace p2psip::control {

enum class value_type { string, integer, number, boolean, object, array };
std::string_view to_string(value_type type);

// Read-only methods are open to the socket's group; state-changing ones only
// to root, the daemon's own uid and the admin group.
enum class method_access { read_only, state_changing };
std::string_view to_string(method_access access);

// Extra shape checks for strings that plain JSON types cannot express.
enum class string_format {
  any,
  hex_id,          // an even number of hex digits (Node-ID or Resource-ID)
  hex_id_or_name,  // a hex id, or any other non-empty string that is hashed
};

struct param_schema {
  std::string name;
  value_type type = value_type::string;
  std::string description;
  bool required = false;
  std::optional<boost::json::value> default_value;  // filled in when absent
  // integer/number: the value; string: its length in bytes; array: its size.
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::vector<std::string> one_of;  // allowed strings, when not empty
  string_format format = string_format::any;
  std::optional<value_type> item_type;  // arrays: the type of every element
};

struct result_field {
  std::string name;
  value_type type = value_type::string;
  std::string description;
};

struct method_schema {
  std::string name;  // subsystem.verb
  std::string summary;
  method_access access = method_access::read_only;
  std::vector<param_schema> params;
  std::vector<result_field> result;
  std::string notes;  // anything else the man page should say about it
  const param_schema* find_param(std::string_view name) const;
};

// Checks `params` (as sent: null, object, or anything else) against the
// schema. On success returns the parameters with defaults filled in; every
// rejection is an invalid_params error naming the parameter.
std::variant<boost::json::object, rpc_error> validate_params(const method_schema& schema,
                                                             const boost::json::value& params);

// The set of methods one server, or one CLI, knows about; kept sorted by name.
class schema_catalog {
 public:
  schema_catalog() = default;
  explicit schema_catalog(std::vector<method_schema> schemas);

  // Throws std::invalid_argument on a duplicate or malformed name.
  void add(method_schema schema);
  const method_schema* find(std::string_view name) const;
  const std::map<std::string, method_schema, std::less<>>& methods() const { return methods_; }

 private:
  std::map<std::string, method_schema, std::less<>> methods_;
};

}  // namespace p2psip::control
