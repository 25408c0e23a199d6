#include "control/method_schema.hpp"

#include <cctype>
#include <stdexcept>

namespace p2psip::control {

namespace json = boost::json;

std::string_view to_string(value_type type) {
  switch (type) {
    case value_type::string: return "string";
    case value_type::integer: return "integer";
    case value_type::number: return "number";
    case value_type::boolean: return "boolean";
    case value_type::object: return "object";
    case value_type::array: return "array";
  }
  return "?";
}

std::string_view to_string(method_access access) {
  return access == method_access::read_only ? "read-only" : "state-changing";
}

const param_schema* method_schema::find_param(std::string_view wanted) const {
  for (const auto& param : params) {
    if (param.name == wanted) return &param;
  }
  return nullptr;
}

namespace {

rpc_error param_error(std::string_view name, const param_schema& param, std::string message) {
  return make_error(name, std::move(message), {{"param", param.name}});
}

bool has_type(const json::value& value, value_type type) {
  switch (type) {
    case value_type::string: return value.is_string();
    case value_type::integer: return value.is_int64() || value.is_uint64();
    case value_type::number: return value.is_number();
    case value_type::boolean: return value.is_bool();
    case value_type::object: return value.is_object();
    case value_type::array: return value.is_array();
  }
  return false;
}

bool is_hex_id(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<rpc_error> check_value(const param_schema& param, const json::value& value) {
  if (!has_type(value, param.type)) {
    rpc_error error = param_error("wrong_type", param,
                                  param.name + " must be " + std::string(to_string(param.type)));
    error.details["expected"] = to_string(param.type);
    return error;
  }
  std::optional<double> measured;
  std::string_view measured_what = "";
  if (param.type == value_type::integer || param.type == value_type::number) {
    measured = value.to_number<double>();
  } else if (param.type == value_type::string) {
    measured = static_cast<double>(value.as_string().size());
    measured_what = " (length)";
  } else if (param.type == value_type::array) {
    measured = static_cast<double>(value.as_array().size());
    measured_what = " (element count)";
  }
  if (measured && ((param.minimum && *measured < *param.minimum) ||
                   (param.maximum && *measured > *param.maximum))) {
    rpc_error error = param_error("out_of_range", param,
                                  param.name + std::string(measured_what) + " is out of range");
    if (param.minimum) error.details["minimum"] = *param.minimum;
    if (param.maximum) error.details["maximum"] = *param.maximum;
    return error;
  }
  if (!param.one_of.empty() && value.is_string()) {
    const std::string_view text = value.as_string();
    bool allowed = false;
    for (const auto& choice : param.one_of) allowed = allowed || choice == text;
    if (!allowed) {
      rpc_error error = param_error("not_in_enum", param, param.name + " is not an allowed value");
      json::array choices;
      for (const auto& choice : param.one_of) choices.emplace_back(choice);
      error.details["allowed"] = std::move(choices);
      return error;
    }
  }
  if (param.type == value_type::array && param.item_type) {
    for (const auto& item : value.as_array()) {
      if (!has_type(item, *param.item_type)) {
        rpc_error error = param_error(
            "wrong_type", param,
            param.name + " must hold only " + std::string(to_string(*param.item_type)) + " values");
        error.details["expected"] = to_string(*param.item_type);
        return error;
      }
    }
  }
  if (param.type == value_type::string) {
    const std::string_view text = value.as_string();
    if (param.format == string_format::hex_id && !is_hex_id(text)) {
      return param_error("bad_format", param, param.name + " must be a hex id");
    }
    if (param.format == string_format::hex_id_or_name && text.empty()) {
      return param_error("bad_format", param, param.name + " must be a hex id or a name");
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<json::object, rpc_error> validate_params(const method_schema& schema,
                                                      const json::value& params) {
  if (params.is_array()) {
    return make_error("positional_params", "params must be an object of named parameters");
  }
  if (!params.is_null() && !params.is_object()) {
    return make_error("invalid_params", "params must be an object");
  }
  json::object validated = params.is_object() ? params.as_object() : json::object{};
  for (const auto& member : validated) {
    if (!schema.find_param(member.key())) {
      return make_error("unknown_param",
                        schema.name + " takes no parameter \"" + std::string(member.key()) + "\"",
                        {{"param", member.key()}});
    }
  }
  for (const auto& param : schema.params) {
    const json::value* value = validated.if_contains(param.name);
    if (!value) {
      if (param.required) {
        return param_error("missing_param", param, param.name + " is required");
      }
      if (param.default_value) validated[param.name] = *param.default_value;
      continue;
    }
    if (auto error = check_value(param, *value)) return std::move(*error);
  }
  return validated;
}

schema_catalog::schema_catalog(std::vector<method_schema> schemas) {
  for (auto& schema : schemas) add(std::move(schema));
}

void schema_catalog::add(method_schema schema) {
  const auto dot = schema.name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == schema.name.size()) {
    throw std::invalid_argument("method names are subsystem.verb: " + schema.name);
  }
  const std::string name = schema.name;
  if (!methods_.emplace(name, std::move(schema)).second) {
    throw std::invalid_argument("method defined twice: " + name);
  }
}

const method_schema* schema_catalog::find(std::string_view name) const {
  const auto found = methods_.find(name);
  return found == methods_.end() ? nullptr : &found->second;
}

}  // namespace p2psip::control
