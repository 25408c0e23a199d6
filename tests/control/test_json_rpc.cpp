// JSON-RPC 2.0 framing: every way a request line can be refused, with the
// code, data.name and id the answer carries, and the encoders' output.
#include <set>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "control/json_rpc.hpp"

using namespace p2psip::control;
namespace json = boost::json;

namespace {

rejected_request rejected(std::string_view line) {
  auto parsed = parse_request(line);
  REQUIRE(std::holds_alternative<rejected_request>(parsed));
  return std::get<rejected_request>(parsed);
}

}  // namespace

TEST_CASE("a well-formed request keeps its id, method and params", "[json_rpc]") {
  auto parsed =
      parse_request(R"({"jsonrpc":"2.0","id":7,"method":"node.status","params":{"a":1}})");
  REQUIRE(std::holds_alternative<rpc_request>(parsed));
  const auto& request = std::get<rpc_request>(parsed);
  CHECK(request.id == json::value(7));
  CHECK(request.method == "node.status");
  CHECK(request.params.as_object().at("a") == json::value(1));

  auto without_params =
      std::get<rpc_request>(parse_request(R"({"jsonrpc":"2.0","id":"x","method":"m.n"})"));
  CHECK(without_params.id == json::value("x"));
  CHECK(without_params.params.is_null());
}

TEST_CASE("each malformed line maps to its code and name", "[json_rpc]") {
  struct expectation {
    std::string_view line;
    int code;
    std::string_view name;
    json::value id;
  };
  const std::vector<expectation> cases{
      {"{not json", error_code::parse_error, "parse_error", nullptr},
      {R"({"jsonrpc":"2.0","id":1,"method":"a.b"} trailing)", error_code::parse_error,
       "parse_error", nullptr},
      {R"([{"jsonrpc":"2.0","id":1,"method":"a.b"}])", error_code::invalid_request,
       "invalid_request", nullptr},
      {"42", error_code::invalid_request, "invalid_request", nullptr},
      {R"({"id":3,"method":"a.b"})", error_code::invalid_request, "invalid_request", 3},
      {R"({"jsonrpc":"1.0","id":3,"method":"a.b"})", error_code::invalid_request, "invalid_request",
       3},
      {R"({"jsonrpc":"2.0","id":3,"method":5})", error_code::invalid_request, "invalid_request", 3},
      {R"({"jsonrpc":"2.0","id":{"x":1},"method":"a.b"})", error_code::invalid_request,
       "invalid_request", nullptr},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"a.b"})", error_code::invalid_request,
       "invalid_request", nullptr},
      {R"({"jsonrpc":"2.0","id":4,"method":"a.b","extra":true})", error_code::invalid_request,
       "invalid_request", 4},
      {R"({"jsonrpc":"2.0","method":"a.b"})", error_code::invalid_request, "missing_id", nullptr},
      {R"({"jsonrpc":"2.0","id":null,"method":"a.b"})", error_code::invalid_request, "missing_id",
       nullptr},
  };
  for (const auto& expected : cases) {
    INFO(expected.line);
    const auto refusal = rejected(expected.line);
    CHECK(refusal.error.code == expected.code);
    CHECK(refusal.error.name == expected.name);
    CHECK(refusal.id == expected.id);
  }
}

TEST_CASE("encoders write one compact line each", "[json_rpc]") {
  const std::string result = encode_result(9, {{"state", "joined"}});
  CHECK(result == R"({"jsonrpc":"2.0","id":9,"result":{"state":"joined"}})"
                  "\n");

  const std::string error = encode_error("r1", make_error("not_found", "nothing", {{"key", "k"}}));
  const auto decoded = json::parse(error).as_object();
  CHECK(decoded.at("id") == json::value("r1"));
  CHECK(decoded.at("error").at("code") == json::value(error_code::storage_not_found));
  CHECK(decoded.at("error").at("data").at("name") == json::value("not_found"));
  CHECK(decoded.at("error").at("data").at("key") == json::value("k"));
  CHECK(error.find('\n') == error.size() - 1);

  const std::string notice = encode_notification("event", {{"topic", "peer.up"}});
  CHECK(notice == R"({"jsonrpc":"2.0","method":"event","params":{"topic":"peer.up"}})"
                  "\n");
}

TEST_CASE("a client reads results, errors and notifications back", "[json_rpc]") {
  auto result = parse_server_message(encode_result(1, {{"a", 1}}));
  REQUIRE(std::holds_alternative<rpc_response>(result));
  CHECK(std::get<rpc_response>(result).result->at("a") == json::value(1));

  auto error = parse_server_message(encode_error(2, make_error("permission_denied", "no")));
  REQUIRE(std::holds_alternative<rpc_response>(error));
  const auto& decoded = *std::get<rpc_response>(error).error;
  CHECK(decoded.code == error_code::permission_denied);
  CHECK(decoded.name == "permission_denied");
  CHECK(decoded.message == "no");

  auto notification = parse_server_message(encode_notification("event", {{"topic", "x"}}));
  REQUIRE(std::holds_alternative<rpc_notification>(notification));
  CHECK(std::get<rpc_notification>(notification).params.at("topic") == json::value("x"));

  CHECK(std::holds_alternative<rejected_request>(parse_server_message("garbage")));
  CHECK(std::holds_alternative<rejected_request>(
      parse_server_message(R"({"jsonrpc":"2.0","id":1})")));
}

TEST_CASE("error names are unique and codes sit in their bands", "[json_rpc]") {
  std::set<std::string_view> names;
  for (const auto& error : known_errors()) {
    INFO(error.name);
    CHECK(names.insert(error.name).second);
    const bool standard = error.code <= -32600 && error.code >= -32700;
    // JSON-RPC 2.0 leaves -32099..-32000 to implementation-defined server errors.
    const bool application = error.code <= -32001 && error.code >= -32099;
    CHECK((standard || application));
    CHECK(make_error(error.name, "m").code == error.code);
  }
  CHECK(make_error("not_joined", "").code == -32010);
  CHECK(make_error("no_route", "").code == -32020);
  CHECK(make_error("not_found", "").code == -32030);
  CHECK(make_error("not_registered", "").code == -32040);
  CHECK(make_error("relay_off", "").code == -32050);
  CHECK_THROWS_AS(make_error("no_such_error_name", ""), std::logic_error);
}
