// The bash completion script for p2psipctl, generated from the method
// schemas: method names and aliases, each method's key= names, and the
// allowed values of enum parameters.
#pragma once

#include <string>

#include "control/method_schema.hpp"

namespace p2psip::ctl {

std::string render_bash_completion(const control::schema_catalog& catalog);

}  // namespace p2psip::ctl
