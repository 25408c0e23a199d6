// SIGHUP and config.reload: the settings a running p2psipd takes from its
// configuration file without dropping a link (p2psipd(8) "RELOADING"). The
// rest is reported as needing a restart and keeps its running value.
#include <algorithm>
#include <string>

#include "daemon/p2psip_daemon.hpp"
#include "runtime/logger.hpp"

namespace p2psip::daemon {

using runtime::logs;

namespace json = boost::json;

namespace {

std::string kind_name(wire::kind_id kind) {
  return "overlay.kinds[" + std::to_string(kind.value) + "]";
}

// The configuration as it now runs: `running` with the reloadable parts of
// `wanted` (and kinds as applied, since only their limits change live).
daemon_config running_with_reloadable(daemon_config running, const daemon_config& wanted) {
  running.log = wanted.log;
  running.overlay.bootstrap_nodes = wanted.overlay.bootstrap_nodes;
  running.overlay.kinds = wanted.overlay.kinds;
  running.discovery = wanted.discovery;
  return running;
}

// The top-level sections that differ and need a restart.
json::array sections_needing_restart(const daemon_config& running, const daemon_config& wanted) {
  json::array out;
  if (running.overlay != wanted.overlay) out.emplace_back("overlay");
  if (running.node != wanted.node) out.emplace_back("node");
  if (running.sip != wanted.sip) out.emplace_back("sip");
  if (running.control != wanted.control) out.emplace_back("control");
  if (running.relay != wanted.relay) out.emplace_back("relay");
  if (running.media != wanted.media) out.emplace_back("media");
  return out;
}

}  // namespace

json::array p2psip_daemon::apply_kinds(const overlay_config& wanted, json::array& restart_needed) {
  json::array changed;
  const auto next = kinds_for(wanted);  // throws on a Kind the registry refuses
  auto merged = kinds_;
  for (const auto& definition : next.all()) {
    const auto* current = kinds_.find(definition.kind);
    if (current != nullptr && *current == definition) continue;
    // Stored values were checked against the old model and policy; changing
    // those under them is not safe while running.
    if (current != nullptr &&
        (current->model != definition.model || current->policy != definition.policy)) {
      restart_needed.emplace_back(kind_name(definition.kind) + " data-model/access-control");
      continue;
    }
    (void)merged.define(definition);  // valid: kinds_for() defined it already
    changed.emplace_back(kind_name(definition.kind));
  }
  for (const auto& definition : kinds_.all()) {
    if (next.find(definition.kind) == nullptr) {
      restart_needed.emplace_back(kind_name(definition.kind) + " removed");
    }
  }
  // Storage and the node read the registry in place, on this thread.
  kinds_ = std::move(merged);
  return changed;
}

json::object p2psip_daemon::reload() {
  notifier_.reloading();
  auto fresh = load_config(config_file_);
  const auto refuse = [&](const std::string& why) -> json::object {
    logs.write(log_level::error, "reload refused, nothing changed: " + why);
    notifier_.ready(overlay_status_text(reported_state(), transport_.link_count()));
    return {{"reloaded", false}, {"changed", json::array{}}, {"error", why}};
  };
  if (!fresh) return refuse(fresh.error().describe());
  if (provisioning_) {
    // The overlay section is the configuration server's: fetch it again; a
    // document that fails its checks is discarded (§11.2) and the running
    // one kept.
    auto running = provisioning_->saved_document();
    auto document =
        provisioning_->fetch(running ? &*running : nullptr, std::chrono::system_clock::now());
    if (!document) return refuse("configuration document: " + document.error().describe());
    fresh->config.overlay = provisioning_->overlay_of(*document);
  }
  const daemon_config& wanted = fresh->config;
  const daemon_config old = config_.config;
  json::array changed;
  json::array restart_needed;
  if (wanted.overlay.kinds != old.overlay.kinds) {
    try {
      for (auto& kind : apply_kinds(wanted.overlay, restart_needed)) changed.push_back(kind);
    } catch (const std::runtime_error& e) {
      return refuse(e.what());
    }
  }
  if (wanted.log != old.log) {
    changed.emplace_back("log.level");
    if (!explicit_log_level_) logs.set(wanted.log);
  }
  config_.config = running_with_reloadable(old, wanted);
  config_.source = fresh->source;
  if (wanted.overlay.bootstrap_nodes != old.overlay.bootstrap_nodes) {
    changed.emplace_back("overlay.bootstrap-nodes");
    for (const auto& where : wanted.overlay.bootstrap_nodes) {
      if (std::find(old.overlay.bootstrap_nodes.begin(), old.overlay.bootstrap_nodes.end(),
                    where) == old.overlay.bootstrap_nodes.end()) {
        membership_->add_bootstrap_node({where.host, where.port});
      }
    }
  }
  if (wanted.discovery != old.discovery) {
    changed.emplace_back("discovery");
    if (discovery_) discovery_->stop();
    discovery_.reset();
    start_discovery();
  }
  for (const auto& section : sections_needing_restart(config_.config, wanted)) {
    restart_needed.push_back(section);
  }
  std::string note = "configuration reloaded from " + config_.source;
  if (!restart_needed.empty()) note += " (" + json::serialize(restart_needed) + " need a restart)";
  logs.write(log_level::notice, note);
  notifier_.ready(overlay_status_text(reported_state(), transport_.link_count()));
  return {{"reloaded", true},
          {"changed", std::move(changed)},
          {"restart_needed", std::move(restart_needed)}};
}

}  // namespace p2psip::daemon
