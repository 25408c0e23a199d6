// libFuzzer target for what the control socket reads: one request line,
// parsed as JSON-RPC 2.0, then (when it names a known method) its params
// validated against that method's schema from the standard catalog, exactly
// as control_server does. Every outcome must encode as one answer line. The
// same bytes also go through the client's parser for server messages.
#include <cstdlib>
#include <string_view>
#include <variant>

#include "control/json_rpc.hpp"
#include "control/method_schema.hpp"
#include "control/standard_methods.hpp"

using namespace p2psip::control;

namespace {

void check_line(const std::string& line) {
  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const schema_catalog catalog = standard_catalog();
  const std::string_view line(reinterpret_cast<const char*>(data), size);

  auto parsed = parse_request(line);
  if (auto* rejected = std::get_if<rejected_request>(&parsed)) {
    check_line(encode_error(rejected->id, rejected->error));
  } else {
    auto& request = std::get<rpc_request>(parsed);
    if (const method_schema* schema = catalog.find(request.method)) {
      auto validated = validate_params(*schema, request.params);
      if (auto* error = std::get_if<rpc_error>(&validated)) {
        check_line(encode_error(request.id, *error));
      } else {
        check_line(encode_result(request.id, std::get<boost::json::object>(validated)));
      }
    } else {
      // Also run the params through every schema: the validator sees far
      // more shapes than the few lines that name a real method.
      for (const auto& [name, schema] : catalog.methods()) {
        auto validated = validate_params(schema, request.params);
        if (auto* error = std::get_if<rpc_error>(&validated)) check_line(encode_error(request.id, *error));
      }
    }
  }
  (void)parse_server_message(line);
  return 0;
}
