// rpc.help and the p2psip-rpc(7) page are rendered from the same schemas the
// server validates with: every method, parameter and error appears in both.
#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include "control/rpc_docs.hpp"
#include "control/standard_methods.hpp"

using namespace p2psip::control;
namespace json = boost::json;

TEST_CASE("rpc.help lists every method with params, result and access", "[help]") {
  const schema_catalog catalog = standard_catalog();
  auto help = rpc_help(catalog, std::nullopt);
  REQUIRE(std::holds_alternative<json::object>(help));
  const auto& methods = std::get<json::object>(help).at("methods").as_array();
  REQUIRE(methods.size() == catalog.methods().size());
  for (const auto& entry : methods) {
    const auto& method = entry.as_object();
    const method_schema* schema = catalog.find(method.at("name").as_string());
    REQUIRE(schema);
    CHECK(method.at("summary") == json::value(schema->summary));
    CHECK(method.at("access") == json::value(to_string(schema->access)));
    CHECK(method.at("params").as_array().size() == schema->params.size());
    CHECK(method.at("result").as_array().size() == schema->result.size());
  }
  CHECK(std::get<json::object>(help).at("errors").as_array().size() == known_errors().size());
}

TEST_CASE("rpc.help describes one method's parameters in full", "[help]") {
  const schema_catalog catalog = standard_catalog();
  auto help = rpc_help(catalog, "storage.put");
  REQUIRE(std::holds_alternative<json::object>(help));
  const auto& methods = std::get<json::object>(help).at("methods").as_array();
  REQUIRE(methods.size() == 1);
  const auto& put = methods[0].as_object();
  CHECK(put.at("access") == json::value("state-changing"));
  json::object lifetime;
  for (const auto& param : put.at("params").as_array()) {
    if (param.at("name") == json::value("lifetime")) lifetime = param.as_object();
  }
  CHECK(lifetime.at("type") == json::value("integer"));
  CHECK(lifetime.at("default") == json::value(3600));
  CHECK(lifetime.at("minimum") == json::value(1));
  CHECK(lifetime.at("maximum") == json::value(4294967295LL));
  CHECK(lifetime.at("required") == json::value(false));

  auto level = std::get<json::object>(rpc_help(catalog, "log.set_level"));
  const auto& level_param = level.at("methods").at(0).at("params").at(0).as_object();
  CHECK(level_param.at("one_of").as_array().size() == log_levels().size());
}

TEST_CASE("rpc.help about an unknown method is an invalid_params error", "[help]") {
  auto help = rpc_help(standard_catalog(), "node.explode");
  REQUIRE(std::holds_alternative<rpc_error>(help));
  CHECK(std::get<rpc_error>(help).code == error_code::invalid_params);
  CHECK(std::get<rpc_error>(help).name == "unknown_method");
}

TEST_CASE("the man page names every method, parameter and error", "[help]") {
  const schema_catalog catalog = standard_catalog();
  const std::string page = render_rpc_man_page(catalog, "9.9");
  CHECK(page.find(".TH P2PSIP\\-RPC 7") != std::string::npos);
  CHECK(page.find("p2psip 9.9") != std::string::npos);
  const auto roff_name = [](std::string text) {
    for (std::size_t at = text.find('-'); at != std::string::npos; at = text.find('-', at + 2)) {
      text.replace(at, 1, "\\-");
    }
    return text;
  };
  for (const auto& [name, schema] : catalog.methods()) {
    CHECK(page.find(".SS " + name + "\n") != std::string::npos);
    for (const auto& param : schema.params)
      CHECK(page.find(".B " + param.name + "\n") != std::string::npos);
  }
  for (const auto& error : known_errors()) {
    CHECK(page.find(".B " + std::string(error.name) + "\n") != std::string::npos);
    CHECK(page.find(roff_name(std::to_string(error.code))) != std::string::npos);
  }
  // No text line may start a roff request by accident.
  std::size_t start = 0;
  while (start < page.size()) {
    const std::size_t end = page.find('\n', start);
    const std::string line = page.substr(start, end - start);
    if (!line.empty() && line[0] == '\'') FAIL(line);
    start = end + 1;
  }
}
