// The Kinds this node stores (RFC 6940 §7.4.5): what the configuration
// defines, found by Kind-ID. Also the wire::data_model_lookup the codec needs
// to decode StoreReq, FetchReq, StatReq and their answers.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/kind_definition.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::storage {

class kind_registry {
 public:
  // Empty: every Kind is unknown.
  kind_registry() = default;
  // The built-in Kinds with their default limits.
  static kind_registry with_defaults();

  // Adds or replaces the definition of its Kind; the reason it is refused
  // (see validate()), or nullopt when it was taken.
  [[nodiscard]] std::optional<std::string> define(const kind_definition& definition);
  // nullptr for an unknown Kind. Valid until the next define().
  const kind_definition* find(wire::kind_id kind) const noexcept;
  std::span<const kind_definition> all() const noexcept { return kinds_; }

  // A lookup that refers to this registry, which must outlive it.
  wire::data_model_lookup data_models() const;

 private:
  std::vector<kind_definition> kinds_;  // sorted by Kind-ID; a handful of entries
};

}  // namespace p2psip::storage
