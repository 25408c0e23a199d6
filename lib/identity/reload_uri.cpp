#include "identity/reload_uri.hpp"

#include <cctype>
#include <vector>

#include "wire/byte_writer.hpp"
#include "wire/destination.hpp"

namespace p2psip::identity {
namespace {

constexpr std::string_view scheme = "reload:";
constexpr std::string_view node_uri_prefix = "reload://";

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// RFC 3986 reg-name without percent-encoding: unreserved / sub-delims.
bool is_reg_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && std::string_view("-._~!$&'()*+,;=").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string format_node_uri(const wire::node_id& node, std::string_view overlay) {
  // A one-entry Destination List is that Destination's encoding; it cannot fail.
  const auto list = wire::to_bytes(wire::destination::node(node));
  std::string uri(node_uri_prefix);
  uri += wire::to_hex(*list);
  uri += '@';
  uri += overlay;
  uri += '/';
  return uri;
}

std::optional<node_uri> parse_node_uri(std::string_view uri) {
  if (uri.size() < node_uri_prefix.size() ||
      !iequals(uri.substr(0, node_uri_prefix.size()), node_uri_prefix)) {
    return std::nullopt;
  }
  uri.remove_prefix(node_uri_prefix.size());
  const auto at = uri.find('@');
  if (at == std::string_view::npos || uri.empty() || uri.back() != '/') return std::nullopt;
  const auto overlay = uri.substr(at + 1, uri.size() - at - 2);
  if (!is_reg_name(overlay)) return std::nullopt;

  const auto bytes = wire::from_hex(uri.substr(0, at));
  if (!bytes || bytes->empty()) return std::nullopt;
  wire::byte_reader reader(*bytes);
  std::vector<wire::destination> list;
  wire::decode_destination_list(reader, list);
  if (!reader.ok() || list.size() != 1) return std::nullopt;
  const auto* node = std::get_if<wire::node_id>(&list.front().value);
  if (node == nullptr) return std::nullopt;
  return node_uri{*node, std::string(overlay)};
}

bool has_reload_scheme(std::string_view uri) noexcept {
  return uri.size() >= scheme.size() && iequals(uri.substr(0, scheme.size()), scheme);
}

}  // namespace p2psip::identity
