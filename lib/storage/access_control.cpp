#include "storage/access_control.hpp"

#include <algorithm>
#include <array>

#include "wire/id_hash.hpp"

namespace p2psip::storage {
namespace {

std::optional<std::string> check_user(const wire::resource_id& resource, const signer& who) {
  if (!who.user_name) return "the signer's certificate has no user name";
  if (user_resource(*who.user_name) != resource) {
    return "user name " + *who.user_name + " does not hash to the Resource-ID";
  }
  return std::nullopt;
}

std::optional<std::string> check_node_key(const wire::stored_data_value& value, const signer& who) {
  const auto* entry = std::get_if<wire::dictionary_entry>(&value.entry);
  if (entry == nullptr) return "USER-NODE-MATCH applies to dictionary entries only";
  const auto& node = who.node.bytes();
  if (!std::equal(entry->key.begin(), entry->key.end(), node.begin(), node.end())) {
    return "the dictionary key is not the signer's Node-ID " + who.node.hex();
  }
  return std::nullopt;
}

std::optional<std::string> check_inbox(const wire::resource_id& resource,
                                       const wire::stored_data_value& value, const signer& who) {
  const auto* entry = std::get_if<wire::dictionary_entry>(&value.entry);
  if (entry == nullptr) return "INBOX applies to dictionary entries only";
  const auto& node = who.node.bytes();
  if (entry->key.size() >= node.size() && std::equal(node.begin(), node.end(), entry->key.begin()))
    return std::nullopt;
  if (!check_user(resource, who)) return std::nullopt;
  return "the dictionary key does not start with the signer's Node-ID " + who.node.hex() +
         ", and the signer is not the user the Resource-ID is for";
}

std::optional<std::string> check_node_multiple(const kind_definition& kind,
                                               const wire::resource_id& resource,
                                               const signer& who) {
  // i is not on the wire, so every allowed i is tried (§7.3.4).
  const auto max = std::min<std::uint32_t>(kind.max_node_multiple, 255);
  for (std::uint32_t i = 1; i <= max; ++i) {
    if (node_multiple_resource(who.node, static_cast<std::uint8_t>(i)) == resource) {
      return std::nullopt;
    }
  }
  return "H(Node-ID " + who.node.hex() + " || i) is not the Resource-ID for any i in 1.." +
         std::to_string(max);
}

}  // namespace

wire::resource_id user_resource(std::string_view user_name) {
  return wire::hash_resource_name(user_name);
}

wire::resource_id node_resource(const wire::node_id& node) {
  return wire::hash_resource_name(std::span<const std::uint8_t>(node.bytes()));
}

wire::resource_id node_multiple_resource(const wire::node_id& node, std::uint8_t i) {
  std::array<std::uint8_t, wire::node_id_length + 1> name{};
  std::copy(node.bytes().begin(), node.bytes().end(), name.begin());
  name.back() = i;
  return wire::hash_resource_name(std::span<const std::uint8_t>(name));
}

std::optional<std::string> check_access(const kind_definition& kind,
                                        const wire::resource_id& resource,
                                        const wire::stored_data_value& value, const signer& who) {
  switch (kind.policy) {
    case access_policy::user_match: return check_user(resource, who);
    case access_policy::node_match:
      if (node_resource(who.node) != resource) {
        return "Node-ID " + who.node.hex() + " does not hash to the Resource-ID";
      }
      return std::nullopt;
    case access_policy::user_node_match:
      if (auto refused = check_user(resource, who)) return refused;
      return check_node_key(value, who);
    case access_policy::node_multiple: return check_node_multiple(kind, resource, who);
    case access_policy::inbox: return check_inbox(resource, value, who);
  }
  return "unknown access policy";
}

}  // namespace p2psip::storage
