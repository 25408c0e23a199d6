#include "storage/kind_registry.hpp"

#include <algorithm>

namespace p2psip::storage {
namespace {

bool kind_less(const kind_definition& d, wire::kind_id kind) { return d.kind < kind; }

}  // namespace

kind_registry kind_registry::with_defaults() {
  kind_registry registry;
  for (const auto& definition : default_kind_definitions()) {
    // The built-ins are valid by construction; validate() is their test.
    (void)registry.define(definition);
  }
  return registry;
}

std::optional<std::string> kind_registry::define(const kind_definition& definition) {
  if (auto error = validate(definition)) return error;
  const auto at = std::lower_bound(kinds_.begin(), kinds_.end(), definition.kind, kind_less);
  if (at != kinds_.end() && at->kind == definition.kind) {
    *at = definition;
  } else {
    kinds_.insert(at, definition);
  }
  return std::nullopt;
}

const kind_definition* kind_registry::find(wire::kind_id kind) const noexcept {
  const auto at = std::lower_bound(kinds_.begin(), kinds_.end(), kind, kind_less);
  return at != kinds_.end() && at->kind == kind ? &*at : nullptr;
}

wire::data_model_lookup kind_registry::data_models() const {
  return [this](wire::kind_id kind) -> std::optional<wire::data_model> {
    if (const auto* definition = find(kind)) return definition->model;
    return std::nullopt;
  };
}

}  // namespace p2psip::storage
