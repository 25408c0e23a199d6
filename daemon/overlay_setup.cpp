#include "daemon/overlay_setup.hpp"

#include <chrono>
#include <random>
#include <stdexcept>
#include <vector>

#include "wire/id_hash.hpp"

namespace p2psip::daemon {

namespace {

storage::access_policy access_policy_of(kind_access_control policy) {
  switch (policy) {
    case kind_access_control::user_match: return storage::access_policy::user_match;
    case kind_access_control::node_match: return storage::access_policy::node_match;
    case kind_access_control::user_node_match: return storage::access_policy::user_node_match;
    case kind_access_control::node_multiple: return storage::access_policy::node_multiple;
    case kind_access_control::inbox: return storage::access_policy::inbox;
  }
  return storage::access_policy::user_match;
}

std::string random_hex(std::size_t bytes) {
  std::random_device random;
  std::vector<std::uint8_t> out(bytes);
  for (auto& b : out) b = static_cast<std::uint8_t>(random());
  return wire::to_hex(out);
}

}  // namespace

config_result<loaded_config> load_config(const std::optional<std::filesystem::path>& file) {
  auto parsed = file ? load_config_file(*file) : load_embedded_default();
  if (!parsed) return parsed.error();
  return loaded_config{std::move(*parsed),
                       file ? file->string() : std::string(embedded_default_name)};
}

overlay::overlay_config overlay_parameters(const overlay_config& c) {
  overlay::overlay_config out;
  out.overlay = wire::hash_overlay_name(c.name);
  out.max_message_size = c.max_message_size;
  out.initial_ttl = c.initial_ttl;
  out.reliability_timer = c.overlay_reliability_timer;
  out.chord_update_interval = c.chord_update_interval;
  out.chord_ping_interval = c.chord_ping_interval;
  out.chord_reactive = c.chord_reactive;
  return out;
}

identity::trust_policy trust_policy_for(const overlay_config& c) {
  identity::trust_policy policy{.overlay = c.name,
                                .root_certs = {},
                                .self_signed_permitted = c.self_signed_permitted,
                                .self_signed_digest = c.digest == self_signed_digest::sha1
                                                          ? wire::hash_algorithm::sha1
                                                          : wire::hash_algorithm::sha256};
  if (c.root_cert) {
    auto roots = identity::node_certificate::load_all(*c.root_cert);
    if (!roots) throw std::runtime_error(c.root_cert->string() + ": " + roots.error().describe());
    policy.root_certs = std::move(*roots);
  }
  return policy;
}

storage::kind_registry kinds_for(const overlay_config& c) {
  auto kinds = storage::kind_registry::with_defaults();
  for (const auto& k : c.kinds) {
    storage::kind_definition d;
    d.kind = k.id;
    d.model = k.data_model == kind_data_model::array ? wire::data_model::array
              : k.data_model == kind_data_model::dictionary
                  ? wire::data_model::dictionary
                  : wire::data_model::single_value;
    d.policy = access_policy_of(k.access_control);
    d.max_count = k.max_count;
    d.max_size = k.max_size;
    d.max_node_multiple = k.max_node_multiple.value_or(0);
    if (auto refused = kinds.define(d)) {
      throw std::runtime_error("kind " + std::to_string(k.id.value) + ": " + *refused);
    }
  }
  return kinds;
}

// USER-MATCH storage (§7.3.1) needs a user name, so a self-signed identity
// gets "node-<random hex>@<overlay>", kept across restarts with the key.
identity::node_credentials load_credentials(const daemon_config& config,
                                            const std::filesystem::path& state_dir,
                                            const identity::trust_policy& policy) {
  const auto now = std::chrono::system_clock::now();
  if (config.node.identity_key && config.node.identity_certificate) {
    auto key = identity::key_pair::load(*config.node.identity_key);
    if (!key) throw std::runtime_error(key.error().describe());
    auto cert = identity::node_certificate::load(*config.node.identity_certificate);
    if (!cert) throw std::runtime_error(cert.error().describe());
    return {std::move(*key), std::move(*cert), policy.root_certs};
  }
  const identity::credential_store store(state_dir);
  auto saved = store.load();
  if (!saved)
    throw std::runtime_error("identity in " + state_dir.string() + ": " + saved.error().describe());
  if (!config.overlay.self_signed_permitted) {
    if (*saved) return std::move(**saved);
    throw std::runtime_error(
        "no identity in " + state_dir.string() +
        " and the overlay does not permit self-signed ones: provision node.identity-key and "
        "node.identity-certificate, or drop overlay.root-cert so that the daemon fetches the "
        "configuration and enrolls (p2psipd --overlay NAME --token TOKEN, p2psipd(8))");
  }
  std::string user = "node-" + random_hex(8) + "@" + config.overlay.name;
  if (*saved && (*saved)->certificate.user_name()) user = *(*saved)->certificate.user_name();
  identity::self_signed_request request{
      .overlay = config.overlay.name, .user_name = user, .digest = policy.self_signed_digest};
  auto made = store.load_or_create_self_signed(request, now);
  if (!made)
    throw std::runtime_error("identity in " + state_dir.string() + ": " + made.error().describe());
  return std::move(*made);
}

}  // namespace p2psip::daemon
