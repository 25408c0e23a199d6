#include "storage/kind_definition.hpp"

namespace p2psip::storage {

const char* to_string(access_policy policy) noexcept {
  switch (policy) {
    case access_policy::user_match: return "USER-MATCH";
    case access_policy::node_match: return "NODE-MATCH";
    case access_policy::user_node_match: return "USER-NODE-MATCH";
    case access_policy::node_multiple: return "NODE-MULTIPLE";
    case access_policy::inbox: return "INBOX";
  }
  return "unknown policy";
}

std::optional<std::string> validate(const kind_definition& definition) {
  if (definition.kind == wire::kind_id{0}) return "Kind-ID 0 is INVALID (RFC 6940 §14.6)";
  if (definition.max_count == 0) return "max-count must be at least 1";
  if (definition.policy == access_policy::user_node_match &&
      definition.model != wire::data_model::dictionary) {
    return "USER-NODE-MATCH may be used only with the dictionary model (RFC 6940 §7.3.3)";
  }
  if (definition.policy == access_policy::inbox &&
      definition.model != wire::data_model::dictionary) {
    return "INBOX may be used only with the dictionary model";
  }
  if (definition.policy == access_policy::node_multiple &&
      (definition.max_node_multiple == 0 || definition.max_node_multiple > 255)) {
    return "NODE-MULTIPLE needs a max-node-multiple of 1..255";
  }
  if (definition.model == wire::data_model::single_value && definition.max_count != 1) {
    return "a single-value Kind holds exactly one value: max-count must be 1";
  }
  return std::nullopt;
}

std::vector<kind_definition> default_kind_definitions() {
  using wire::data_model;
  namespace known = wire::well_known_kind;
  return {
      // RFC 7904 §7: one registration per device of the user.
      {.kind = known::sip_registration,
       .model = data_model::dictionary,
       .policy = access_policy::user_node_match,
       .max_count = 16,
       .max_size = 2048},
      // RFC 6940 §9: a TurnServer is a few dozen bytes; "maximum iteration of
      // counter 20".
      {.kind = known::turn_service,
       .model = data_model::single_value,
       .policy = access_policy::node_multiple,
       .max_count = 1,
       .max_size = 64,
       .max_node_multiple = 20},
      // RFC 6940 §8. By Node-ID: every certificate of that Node-ID, which a
      // box's accounts from its phones share (usage/certificate_store_usage).
      {.kind = known::certificate_by_node,
       .model = data_model::array,
       .policy = access_policy::node_match,
       .max_count = 16,
       .max_size = 4096},
      // By user: an old and a new certificate during renewal, and a spare.
      {.kind = known::certificate_by_user,
       .model = data_model::array,
       .policy = access_policy::user_match,
       .max_count = 4,
       .max_size = 4096},
      {.kind = app_data_kind,
       .model = data_model::dictionary,
       .policy = access_policy::user_match,
       .max_count = 32,
       .max_size = 4096},
      // 50 messages per recipient, each at most 10 KiB encoded.
      {.kind = sip_inbox_kind,
       .model = data_model::dictionary,
       .policy = access_policy::inbox,
       .max_count = 50,
       .max_size = 10240},
  };
}

}  // namespace p2psip::storage
