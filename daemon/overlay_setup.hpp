// From p2psipd's configuration to what the layers take: the overlay's
// parameters, its trust policy, its Kinds, and this node's credentials.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "daemon/daemon_config.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/credential_store.hpp"
#include "overlay/overlay_config.hpp"
#include "storage/kind_registry.hpp"

namespace p2psip::daemon {

struct loaded_config {
  daemon_config config;
  std::string source;  // the file, or the embedded default's name
};

// The file, or the embedded ad hoc default when there is none.
config_result<loaded_config> load_config(const std::optional<std::filesystem::path>& file);

overlay::overlay_config overlay_parameters(const overlay_config& c);
// Throws std::runtime_error when the root certificates cannot be loaded.
identity::trust_policy trust_policy_for(const overlay_config& c);
// The default Kinds with the configured ones over them; throws
// std::runtime_error naming a Kind the registry refuses.
storage::kind_registry kinds_for(const overlay_config& c);

// This node's credentials: provisioned files, or the state directory's, made
// self-signed when the overlay permits it. Throws std::runtime_error.
identity::node_credentials load_credentials(const daemon_config& config,
                                            const std::filesystem::path& state_dir,
                                            const identity::trust_policy& policy);

}  // namespace p2psip::daemon
