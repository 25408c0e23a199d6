// Schema validation: each kind of bad parameter gets invalid_params with its
// own data.name and the parameter named; defaults are filled in.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "control/method_schema.hpp"
#include "control/standard_methods.hpp"

using namespace p2psip::control;
namespace json = boost::json;

namespace {

const schema_catalog catalog = standard_catalog();

rpc_error refusal(std::string_view method, std::string_view params) {
  const method_schema* schema = catalog.find(method);
  REQUIRE(schema);
  auto outcome = validate_params(*schema, json::parse(params));
  REQUIRE(std::holds_alternative<rpc_error>(outcome));
  const auto error = std::get<rpc_error>(outcome);
  CHECK(error.code == error_code::invalid_params);
  return error;
}

json::object accepted(std::string_view method, std::string_view params) {
  const method_schema* schema = catalog.find(method);
  REQUIRE(schema);
  auto outcome = validate_params(*schema, json::parse(params));
  if (auto* error = std::get_if<rpc_error>(&outcome)) FAIL(error->message);
  return std::get<json::object>(outcome);
}

std::string param_of(const rpc_error& error) {
  return std::string(error.details.at("param").as_string());
}

}  // namespace

TEST_CASE("the standard catalog has every method of the brief", "[schema]") {
  for (const auto* name : {"node.status", "node.leave", "overlay.peers", "overlay.fingers",
                           "overlay.route", "storage.put", "storage.get", "metrics.get",
                           "events.subscribe", "log.set_level", "config.reload", "rpc.help"}) {
    INFO(name);
    REQUIRE(catalog.find(name));
    CHECK_FALSE(catalog.find(name)->summary.empty());
  }
  for (const auto* changing : {"node.leave", "storage.put", "log.set_level", "config.reload"}) {
    CHECK(catalog.find(changing)->access == method_access::state_changing);
  }
  for (const auto* reading : {"node.status", "overlay.peers", "storage.get", "rpc.help"}) {
    CHECK(catalog.find(reading)->access == method_access::read_only);
  }
}

TEST_CASE("defaults are filled in and absent params mean none", "[schema]") {
  const auto put = accepted("storage.put", R"({"key":"alice","value":"v"})");
  CHECK(put.at("kind") == json::value("app-data"));
  CHECK(put.at("lifetime") == json::value(3600));
  CHECK(put.at("encoding") == json::value("text"));
  CHECK(accepted("node.status", "null").empty());
  CHECK(accepted("node.status", "{}").empty());
  CHECK(accepted("overlay.route", R"({"id":"0a1b"})").at("id") == json::value("0a1b"));
  CHECK(accepted("events.subscribe", R"({"topics":["peer.*","node.state"]})").size() == 1);
}

TEST_CASE("positional and non-object params are refused", "[schema]") {
  CHECK(refusal("node.status", "[1,2]").name == "positional_params");
  CHECK(refusal("storage.put", "[]").name == "positional_params");
  CHECK(refusal("node.status", "\"x\"").name == "invalid_params");
}

TEST_CASE("missing, unknown, mistyped and out-of-range params are named", "[schema]") {
  auto missing = refusal("storage.put", R"({"value":"v"})");
  CHECK(missing.name == "missing_param");
  CHECK(param_of(missing) == "key");

  auto unknown = refusal("node.status", R"({"verbose":true})");
  CHECK(unknown.name == "unknown_param");
  CHECK(param_of(unknown) == "verbose");

  auto wrong = refusal("storage.put", R"({"key":"k","value":"v","lifetime":"60"})");
  CHECK(wrong.name == "wrong_type");
  CHECK(param_of(wrong) == "lifetime");
  CHECK(wrong.details.at("expected") == json::value("integer"));
  CHECK(refusal("storage.put", R"({"key":"k","value":"v","lifetime":60.5})").name == "wrong_type");
  CHECK(refusal("storage.put", R"({"key":5,"value":"v"})").name == "wrong_type");
  CHECK(refusal("events.subscribe", R"({"topics":["peer.up",3]})").name == "wrong_type");

  auto too_short = refusal("storage.put", R"({"key":"k","value":"v","lifetime":0})");
  CHECK(too_short.name == "out_of_range");
  CHECK(too_short.details.at("minimum") == json::value(1.0));
  CHECK(refusal("storage.put", R"({"key":"k","value":"v","lifetime":4294967296})").name ==
        "out_of_range");
  CHECK(refusal("storage.put", R"({"key":"","value":"v"})").name == "out_of_range");
  const std::string long_key(1025, 'a');
  CHECK(refusal("storage.get", R"({"key":")" + long_key + R"("})").name == "out_of_range");
  std::string many_topics = R"({"topics":[)";
  for (int i = 0; i < 65; ++i) many_topics += std::string(i ? "," : "") + "\"t\"";
  CHECK(refusal("events.subscribe", many_topics + "]}").name == "out_of_range");

  auto level = refusal("log.set_level", R"({"level":"loud"})");
  CHECK(level.name == "not_in_enum");
  CHECK(level.details.at("allowed").as_array().size() == log_levels().size());
  CHECK(refusal("metrics.get", R"({"format":"xml"})").name == "not_in_enum");
}

TEST_CASE("hex-id formats are checked", "[schema]") {
  method_schema schema{.name = "test.hex",
                       .summary = "s",
                       .access = method_access::read_only,
                       .params = {{.name = "id",
                                   .type = value_type::string,
                                   .description = "d",
                                   .required = true,
                                   .default_value = {},
                                   .minimum = {},
                                   .maximum = {},
                                   .one_of = {},
                                   .format = string_format::hex_id,
                                   .item_type = {}}},
                       .result = {},
                       .notes = {}};
  CHECK(std::holds_alternative<json::object>(
      validate_params(schema, json::parse(R"({"id":"0aFF"})"))));
  for (const auto* bad : {R"({"id":"0a1"})", R"({"id":"zz"})", R"({"id":""})"}) {
    auto outcome = validate_params(schema, json::parse(bad));
    REQUIRE(std::holds_alternative<rpc_error>(outcome));
    CHECK(std::get<rpc_error>(outcome).name == "bad_format");
  }
}

TEST_CASE("a catalog refuses duplicate and malformed method names", "[schema]") {
  schema_catalog own;
  own.add(method_schema{
      .name = "sip.lookup", .summary = "s", .access = {}, .params = {}, .result = {}, .notes = {}});
  CHECK_THROWS_AS(own.add(method_schema{.name = "sip.lookup",
                                        .summary = "",
                                        .access = {},
                                        .params = {},
                                        .result = {},
                                        .notes = {}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      own.add(method_schema{
          .name = "lookup", .summary = "", .access = {}, .params = {}, .result = {}, .notes = {}}),
      std::invalid_argument);
  CHECK(own.find("sip.lookup"));
  CHECK_FALSE(own.find("sip.dialogs"));
}
