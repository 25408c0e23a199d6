// The RELOAD URI naming a peer (§14.15), as placed in a certificate's
// subjectAltName (§11.3): "reload://" hex(Destination List) "@" overlay "/",
// the Destination List holding exactly one node_id entry.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wire/ids.hpp"

namespace p2psip::identity {

struct node_uri {
  wire::node_id node;
  std::string overlay;
  friend bool operator==(const node_uri&, const node_uri&) = default;
};

std::string format_node_uri(const wire::node_id& node, std::string_view overlay);

// nullopt unless `uri` is exactly that form (either hex case, no specifier).
std::optional<node_uri> parse_node_uri(std::string_view uri);

// True for any URI with the reload scheme, well-formed or not: what a CSR
// must not contain, since only the enrollment server picks Node-IDs.
bool has_reload_scheme(std::string_view uri) noexcept;

}  // namespace p2psip::identity
