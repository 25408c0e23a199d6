// Everything that describes the methods to people is rendered here from the
// schemas: rpc.help's answer and the p2psip-rpc(7) man page.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>

#include "control/method_schema.hpp"

namespace p2psip::control {

boost::json::object describe_method(const method_schema& schema);

// rpc.help's result: every method, or only `method` (unknown_method if absent).
std::variant<boost::json::object, rpc_error> rpc_help(const schema_catalog& catalog,
                                                      std::optional<std::string_view> method);

// The p2psip-rpc(7) page in roff; `version` goes into the footer.
std::string render_rpc_man_page(const schema_catalog& catalog, std::string_view version);

}  // namespace p2psip::control
