// p2psipd: one RELOAD overlay node on real TLS links, driven through its
// JSON-RPC control socket (p2psipd(8)). main() parses the command line and
// loads the configuration; p2psip_daemon wires the layers together on one
// io_context thread, which runs everything: links, overlay, storage, control.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "control/control_server.hpp"
#include "control/event_bus.hpp"
#include "control/metrics_registry.hpp"
#include "control/rpc_error.hpp"
#include "control/standard_methods.hpp"
#include "daemon/asio_timer_service.hpp"
#include "daemon/daemon_config.hpp"
#include "daemon/lan_discovery.hpp"
#include "daemon/link_transport.hpp"
#include "daemon/state_paths.hpp"
#include "daemon/systemd_notifier.hpp"
#include "daemon/watchdog_pinger.hpp"
#include "identity/certificate_cache.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/credential_store.hpp"
#include "identity/message_signer.hpp"
#include "identity/signature_verifier.hpp"
#include "link/identity_authenticator.hpp"
#include "link/tls_context.hpp"
#include "overlay/chord_topology.hpp"
#include "overlay/identity_message_security.hpp"
#include "overlay/overlay_node.hpp"
#include "overlay/ring.hpp"
#include "storage/certificate_data_verifier.hpp"
#include "storage/kind_registry.hpp"
#include "storage/overlay_storage.hpp"
#include "wire/id_hash.hpp"

namespace {

using namespace p2psip;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using daemon::log_level;

// Exit codes (p2psipd(8)).
constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// How long a node with bootstrap peers (or LAN discovery) waits for one of
// them before it starts an overlay of its own.
constexpr auto bootstrap_wait = 5s;
constexpr auto first_retry_delay = 1s;
constexpr auto max_retry_delay = 60s;
// A graceful leave hands replicas over first; this bounds it, well inside
// systemd's default TimeoutStopSec of 90 s.
constexpr auto leave_bound = 10s;
// Joined with no live link for this long is reported as isolated.
constexpr auto isolation_after = 30s;
constexpr auto housekeeping_interval = 1s;

// --- logging ----------------------------------------------------------------

// Everything logs to stderr, which journald captures; a level prefix in the
// sd-daemon(3) style lets journald assign priorities.
class logger {
 public:
  bool enabled(log_level level) const noexcept { return !off_ && level >= level_; }
  void write(log_level level, std::string_view message) const {
    if (!enabled(level)) return;
    std::fprintf(stderr, "%s%s: %.*s\n", prefix(level),
                 std::string(daemon::to_string(level)).c_str(), static_cast<int>(message.size()),
                 message.data());
  }
  log_level level() const noexcept { return level_; }
  bool off() const noexcept { return off_; }
  void set(log_level level) noexcept {
    level_ = level;
    off_ = false;
  }
  void set_off() noexcept { off_ = true; }

 private:
  static const char* prefix(log_level level) {
    switch (level) {
      case log_level::debug: return "<7>";
      case log_level::info: return "<6>";
      case log_level::notice: return "<5>";
      case log_level::warning: return "<4>";
      case log_level::error: return "<3>";
    }
    return "";
  }
  log_level level_ = log_level::info;
  bool off_ = false;
};

logger logs;

link::log_sink link_log_sink() {
  return [](link::log_level level, std::string_view message) {
    switch (level) {
      case link::log_level::debug: logs.write(log_level::debug, message); break;
      case link::log_level::info: logs.write(log_level::info, message); break;
      case link::log_level::warning: logs.write(log_level::warning, message); break;
      case link::log_level::error: logs.write(log_level::error, message); break;
    }
  };
}

// --- command line -----------------------------------------------------------

struct command_line {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> state_dir;
  std::optional<log_level> level;
  bool check_config = false;
  bool help = false;
};

constexpr const char* usage_text =
    "usage: p2psipd [-c FILE] [--state-dir DIR] [--check-config] [--log-level LEVEL]\n"
    "  -c, --config FILE   configuration file (default: see p2psipd(8) FILES)\n"
    "  --state-dir DIR     identity and state directory\n"
    "  --check-config      validate the configuration and exit (0 valid, 1 not)\n"
    "  --log-level LEVEL   debug, info, notice, warning or error\n";

std::optional<command_line> parse_command_line(int argc, char** argv) {
  command_line out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) {
        std::cerr << "p2psipd: " << arg << " needs a value\n";
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    if (arg == "-c" || arg == "--config") {
      auto v = value();
      if (!v) return std::nullopt;
      out.config_file = *v;
    } else if (arg == "--state-dir") {
      auto v = value();
      if (!v) return std::nullopt;
      out.state_dir = *v;
    } else if (arg == "--log-level") {
      auto v = value();
      if (!v) return std::nullopt;
      out.level = daemon::parse_log_level(*v);
      if (!out.level) {
        std::cerr << "p2psipd: unknown log level '" << *v << "'\n";
        return std::nullopt;
      }
    } else if (arg == "--check-config") {
      out.check_config = true;
    } else if (arg == "-h" || arg == "--help") {
      out.help = true;
    } else {
      std::cerr << "p2psipd: unknown argument '" << arg << "'\n";
      return std::nullopt;
    }
  }
  return out;
}

struct loaded_config {
  daemon::daemon_config config;
  std::string source;  // the file, or the embedded default's name
};

daemon::config_result<loaded_config> load_config(const std::optional<std::filesystem::path>& file) {
  auto parsed = file ? daemon::load_config_file(*file) : daemon::load_embedded_default();
  if (!parsed) return parsed.error();
  return loaded_config{std::move(*parsed),
                       file ? file->string() : std::string(daemon::embedded_default_name)};
}

// --- conversions from the configuration ---------------------------------------

overlay::overlay_config overlay_parameters(const daemon::overlay_config& c) {
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

identity::trust_policy trust_policy_for(const daemon::overlay_config& c) {
  identity::trust_policy policy{.overlay = c.name,
                                .root_certs = {},
                                .self_signed_permitted = c.self_signed_permitted,
                                .self_signed_digest = c.digest == daemon::self_signed_digest::sha1
                                                          ? wire::hash_algorithm::sha1
                                                          : wire::hash_algorithm::sha256};
  if (c.root_cert) {
    auto roots = identity::node_certificate::load_all(*c.root_cert);
    if (!roots) throw std::runtime_error(c.root_cert->string() + ": " + roots.error().describe());
    policy.root_certs = std::move(*roots);
  }
  return policy;
}

storage::access_policy access_policy_of(daemon::kind_access_control policy) {
  switch (policy) {
    case daemon::kind_access_control::user_match: return storage::access_policy::user_match;
    case daemon::kind_access_control::node_match: return storage::access_policy::node_match;
    case daemon::kind_access_control::user_node_match:
      return storage::access_policy::user_node_match;
    case daemon::kind_access_control::node_multiple: return storage::access_policy::node_multiple;
  }
  return storage::access_policy::user_match;
}

storage::kind_registry kinds_for(const daemon::overlay_config& c) {
  auto kinds = storage::kind_registry::with_defaults();
  for (const auto& k : c.kinds) {
    storage::kind_definition d;
    d.kind = k.id;
    d.model = k.data_model == daemon::kind_data_model::array ? wire::data_model::array
              : k.data_model == daemon::kind_data_model::dictionary
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

std::string random_hex(std::size_t bytes) {
  std::random_device random;
  std::vector<std::uint8_t> out(bytes);
  for (auto& b : out) b = static_cast<std::uint8_t>(random());
  return wire::to_hex(out);
}

// This node's credentials: provisioned files, or the state directory's, made
// self-signed when the overlay permits it. USER-MATCH storage (§7.3.1) needs
// a user name, so a self-signed identity gets "node-<random hex>@<overlay>",
// kept across restarts with the key.
identity::node_credentials load_credentials(const daemon::daemon_config& config,
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
        "node.identity-certificate (enrollment from p2psipd is not implemented yet)");
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

std::uint64_t wall_clock_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

json::array hex_list(const std::vector<wire::node_id>& ids) {
  json::array out;
  for (const auto& id : ids) out.emplace_back(id.hex());
  return out;
}

// --- value encodings of storage.put / storage.get -------------------------------

std::optional<std::vector<std::uint8_t>> decode_value(std::string_view text,
                                                      std::string_view encoding) {
  if (encoding == "hex") return wire::from_hex(text);
  if (encoding == "base64") {
    std::vector<std::uint8_t> out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
      int v;
      if (c >= 'A' && c <= 'Z')
        v = c - 'A';
      else if (c >= 'a' && c <= 'z')
        v = c - 'a' + 26;
      else if (c >= '0' && c <= '9')
        v = c - '0' + 52;
      else if (c == '+')
        v = 62;
      else if (c == '/')
        v = 63;
      else if (c == '=')
        break;
      else
        return std::nullopt;
      buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<std::uint8_t>(buffer >> bits));
      }
    }
    return out;
  }
  return bytes_of(text);
}

std::string encode_value(const std::vector<std::uint8_t>& value, std::string_view encoding) {
  if (encoding == "hex") return wire::to_hex(value);
  if (encoding == "base64") {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < value.size(); i += 3) {
      const std::uint32_t n = (value[i] << 16) | (value[i + 1] << 8) | value[i + 2];
      for (int s = 18; s >= 0; s -= 6) out += alphabet[(n >> s) & 63];
    }
    if (i < value.size()) {
      std::uint32_t n = value[i] << 16;
      if (i + 1 < value.size()) n |= value[i + 1] << 8;
      out += alphabet[(n >> 18) & 63];
      out += alphabet[(n >> 12) & 63];
      out += i + 1 < value.size() ? alphabet[(n >> 6) & 63] : '=';
      out += '=';
    }
    return out;
  }
  return {value.begin(), value.end()};
}

// storage.put and storage.get name app-data values "OWNER/ENTRY": the
// dictionary entry ENTRY of the dictionary at H(OWNER), OWNER being a user
// name (USER-MATCH, §7.3.1: only that user may write there) or a Resource-ID
// in hex. An empty OWNER ("/ENTRY") is this node's own user name, and so is
// a put key without "/"; a get key without "/" is an OWNER, and every entry
// of that dictionary is returned.
struct app_data_key {
  wire::resource_id resource;
  std::string owner;
  std::optional<std::string> entry;
};

enum class key_use { put, get };

app_data_key parse_app_data_key(std::string_view key, const std::string& own_user, key_use use) {
  app_data_key out;
  const auto slash = key.find('/');
  if (slash != std::string_view::npos) {
    out.owner = std::string(key.substr(0, slash));
    out.entry = std::string(key.substr(slash + 1));
  } else if (use == key_use::put) {
    out.entry = std::string(key);
  } else {
    out.owner = std::string(key);
  }
  if (out.owner.empty()) out.owner = own_user;
  const auto as_hex =
      out.owner.size() > 2 * wire::node_id_length ? wire::from_hex(out.owner) : std::nullopt;
  if (as_hex) {
    if (auto id = wire::resource_id::from_span(*as_hex)) out.resource = *id;
  } else {
    out.resource = wire::hash_resource_name(out.owner);
  }
  return out;
}

control::rpc_error request_failed(const overlay::request_error& e) {
  using overlay::request_failure;
  switch (e.failure) {
    case request_failure::timeout:
      return control::make_error("timeout", "the overlay did not answer");
    case request_failure::not_routable:
      return control::make_error("no_route", "no route to the responsible peer");
    case request_failure::error_response:
      if (e.code == wire::reload_error_code::not_found) {
        return control::make_error("not_found", e.info);
      }
      if (e.code == wire::reload_error_code::forbidden) {
        return control::make_error("access_denied", e.info);
      }
      if (e.code == wire::reload_error_code::data_too_large) {
        return control::make_error("too_large", e.info);
      }
      return control::make_error("peer_error", std::string(wire::to_string(e.code)) + ": " + e.info,
                                 {{"responder", e.responder.hex()}});
    default: return control::make_error("peer_error", overlay::to_string(e.failure));
  }
}

// --- the daemon ---------------------------------------------------------------

class p2psip_daemon {
 public:
  p2psip_daemon(asio::io_context& io, loaded_config config,
                std::optional<std::filesystem::path> config_file, daemon::state_paths paths)
      : io_(io),
        config_(std::move(config)),
        config_file_(std::move(config_file)),
        paths_(std::move(paths)),
        started_(std::chrono::steady_clock::now()),
        trust_(trust_policy_for(config_.config.overlay)),
        authenticator_(trust_),
        signatures_(trust_, certificate_cache_),
        credentials_(load_credentials(config_.config, paths_.state_dir, trust_.policy())),
        self_(credentials_.certificate.node_ids().front()),
        user_(credentials_.certificate.user_name().value_or("")),
        link_config_(link_parameters()),
        tls_(credentials_, authenticator_, link_config_, link_log_sink()),
        signer_(make_signer()),
        timers_(io),
        transport_(io, tls_, self_, link_config_),
        security_(signer_, signatures_, [] { return std::chrono::system_clock::now(); }),
        kinds_(kinds_for(config_.config.overlay)),
        node_(
            self_, overlay_parameters(config_.config.overlay), timers_, transport_, security_,
            [](overlay::overlay_node& n) { return std::make_unique<overlay::chord_topology>(n); },
            std::random_device{}()),
        data_verifier_(signatures_, certificate_cache_),
        storage_(node_, kinds_, data_verifier_),
        signals_(io, SIGINT, SIGTERM, SIGHUP),
        watchdog_(io.get_executor(), notifier_),
        housekeeping_(io),
        bootstrap_timer_(io) {
    transport_.set_events(&node_);
    node_.set_wall_clock(wall_clock_ms);
    node_.set_data_model_lookup(kinds_.data_models());
  }

  ~p2psip_daemon() { transport_.set_events(nullptr); }

  int run() {
    const auto& node_config = config_.config.node;
    const asio::ip::tcp::endpoint wanted(asio::ip::make_address(node_config.listen_address),
                                         node_config.listen_port);
    const auto bound = transport_.listen(wanted);
    std::cout << "p2psipd: node " << self_.hex() << " user " << user_ << " overlay "
              << config_.config.overlay.name << " listening on " << bound.address().to_string()
              << ":" << bound.port() << "\n"
              << std::flush;
    logs.write(log_level::notice, "overlay listener on " + bound.address().to_string() + ":" +
                                      std::to_string(bound.port()) + ", state in " +
                                      paths_.state_dir.string());
    listen_port_ = bound.port();

    open_control_socket();
    observe();
    start_discovery();
    start_bootstrap();
    wait_for_signals();
    watchdog_.start();
    schedule_housekeeping();
    io_.run();
    return exit_code_;
  }

 private:
  link::link_config link_parameters() const {
    link::link_config c;
    c.max_message_size = config_.config.overlay.max_message_size;
    return c;
  }

  identity::message_signer make_signer() {
    // The TLS context holds its own reference to the key, so the signer may
    // take it over.
    auto signer = identity::message_signer::create(std::move(credentials_.key),
                                                   credentials_.certificate, self_);
    if (!signer) throw std::runtime_error("signer: " + signer.error().describe());
    return std::move(*signer);
  }

  // --- control socket ---------------------------------------------------------

  void open_control_socket() {
    control::control_server_config server_config;
    server_config.socket_path = paths_.control_socket.string();
    auto activated = daemon::control_socket_from_systemd();
    if (!activated) throw std::runtime_error("socket activation: " + activated.error());
    if (*activated) {
      control_ = std::make_unique<control::control_server>(io_, **activated, server_config,
                                                           control::standard_catalog(), events_);
    } else {
      control_ = std::make_unique<control::control_server>(io_, server_config,
                                                           control::standard_catalog(), events_);
    }
    logs.write(log_level::notice, "control socket " + control_->socket_path());
    register_methods();
  }

  void register_methods() {
    auto& server = *control_;
    server.set_snapshot_provider([this](const std::vector<std::string>&) { return status(); });
    server.handle("node.status",
                  [this](const json::object&, control::responder r) { r.result(status()); });
    server.handle("node.leave", [this](const json::object&, control::responder r) {
      r.result({{"state", "leaving"}});
      // Answer first: the leave ends with the process.
      asio::post(io_, [this] { shut_down_gracefully("node.leave"); });
    });
    server.handle("overlay.peers",
                  [this](const json::object&, control::responder r) { r.result(peers()); });
    server.handle("overlay.fingers", [this](const json::object&, control::responder r) {
      const auto view = node_.topology().view();
      json::array fingers;
      for (std::size_t i = 0; i < view.fingers.size(); ++i) {
        if (!view.fingers[i]) continue;
        fingers.push_back(json::object{{"index", i}, {"node_id", view.fingers[i]->hex()}});
      }
      r.result({{"fingers", std::move(fingers)}});
    });
    server.handle("overlay.route",
                  [this](const json::object& p, control::responder r) { route(p, r); });
    server.handle("storage.put",
                  [this](const json::object& p, control::responder r) { put(p, r); });
    server.handle("storage.get",
                  [this](const json::object& p, control::responder r) { get(p, r); });
    server.handle("metrics.get", [this](const json::object& p, control::responder r) {
      refresh_metrics();
      control::metrics_handler(metrics_)(p, std::move(r));
    });
    server.handle("log.set_level", [](const json::object& p, control::responder r) {
      const std::string previous =
          logs.off() ? "off" : std::string(daemon::to_string(logs.level()));
      const std::string wanted(p.at("level").as_string());
      if (wanted == "off") {
        logs.set_off();
      } else {
        // trace is finer than the daemon logs; it means debug here.
        logs.set(daemon::parse_log_level(wanted == "trace" ? "debug" : wanted)
                     .value_or(log_level::info));
      }
      r.result({{"level", wanted}, {"previous", previous}});
    });
    server.handle("config.reload",
                  [this](const json::object&, control::responder r) { r.result(reload()); });
  }

  std::string reported_state() const {
    switch (node_.state()) {
      case overlay::node_state::idle: return "init";
      case overlay::node_state::joining: return "joining";
      case overlay::node_state::joined: return isolated() ? "isolated" : "joined";
      case overlay::node_state::leaving: return "leaving";
      case overlay::node_state::stopped: return "stopped";
    }
    return "init";
  }

  bool isolated() const {
    return transport_.link_count() == 0 && last_linked_ &&
           std::chrono::steady_clock::now() - *last_linked_ > isolation_after;
  }

  json::object status() const {
    const auto uptime = std::chrono::steady_clock::now() - started_;
    return {{"node_id", self_.hex()},
            {"state", reported_state()},
            {"overlay", config_.config.overlay.name},
            {"peers", transport_.link_count()},
            {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
            {"user", user_},
            {"listen_port", listen_port_}};
  }

  json::object peers() const {
    const auto view = node_.topology().view();
    auto role_of = [&](const wire::node_id& id) -> std::string {
      if (std::find(view.predecessors.begin(), view.predecessors.end(), id) !=
          view.predecessors.end())
        return "predecessor";
      if (std::find(view.successors.begin(), view.successors.end(), id) != view.successors.end())
        return "successor";
      for (const auto& f : view.fingers) {
        if (f && *f == id) return "finger";
      }
      return "other";
    };
    auto links = node_.linked_peers();
    std::sort(links.begin(), links.end());
    json::array list;
    for (const auto& id : links) {
      json::object peer{{"node_id", id.hex()}, {"role", role_of(id)}};
      if (auto stats = transport_.stats(id)) {
        if (stats->smoothed_rtt) {
          peer["rtt_ms"] =
              std::chrono::duration_cast<std::chrono::milliseconds>(*stats->smoothed_rtt).count();
        }
      }
      list.push_back(std::move(peer));
    }
    return {{"peers", std::move(list)},
            {"predecessors", hex_list(view.predecessors)},
            {"successors", hex_list(view.successors)},
            {"links", hex_list(links)}};
  }

  void route(const json::object& params, control::responder respond) {
    const std::string id(params.at("id").as_string());
    std::optional<wire::node_id> target = wire::node_id::from_hex(id);
    if (!target) {
      const auto bytes = id.size() > 2 * wire::node_id_length ? wire::from_hex(id) : std::nullopt;
      const auto resource = bytes ? wire::resource_id::from_span(*bytes) : std::nullopt;
      target = overlay::resource_key(resource ? *resource : wire::hash_resource_name(id));
    }
    if (!target) return respond.error(control::make_error("bad_format", "not an id: " + id));
    const bool responsible = node_.topology().is_responsible(*target);
    const auto next = responsible ? std::optional(self_) : node_.topology().next_hop(*target);
    if (!next)
      return respond.error(control::make_error("no_route", "no next hop towards " + target->hex()));
    respond.result(
        {{"target", target->hex()}, {"next_hop", next->hex()}, {"responsible", responsible}});
  }

  // Refuses requests the overlay cannot carry yet; true when it did.
  bool refuse_unless_joined(const control::responder& respond) const {
    if (node_.state() == overlay::node_state::joined) return false;
    if (node_.state() == overlay::node_state::leaving) {
      respond.error(control::make_error("leaving", "the node is leaving the overlay"));
    } else {
      respond.error(control::make_error("not_joined", "the node has not joined the overlay"));
    }
    return true;
  }

  bool refuse_other_kinds(const json::object& params, const control::responder& respond) const {
    const std::string kind(params.at("kind").as_string());
    if (kind == "app-data" || kind == std::to_string(storage::app_data_kind.value)) return false;
    respond.error(control::make_error(
        "not_implemented", "the control socket stores app-data values only, not " + kind));
    return true;
  }

  void put(const json::object& params, control::responder respond) {
    if (refuse_unless_joined(respond) || refuse_other_kinds(params, respond)) return;
    const auto key = parse_app_data_key(params.at("key").as_string(), user_, key_use::put);
    if (!key.entry || key.entry->empty()) {
      return respond.error(
          control::make_error("bad_format", "key must be ENTRY, /ENTRY or OWNER/ENTRY"));
    }
    auto value = decode_value(params.at("value").as_string(), params.at("encoding").as_string());
    if (!value)
      return respond.error(control::make_error(
          "bad_format", "value is not valid " + std::string(params.at("encoding").as_string())));

    wire::stored_data data;
    data.storage_time = wall_clock_ms();
    data.lifetime = static_cast<std::uint32_t>(params.at("lifetime").to_number<std::int64_t>());
    data.value.entry =
        wire::dictionary_entry{bytes_of(*key.entry), wire::data_value{true, std::move(*value)}};
    if (auto signed_ok = signer_.sign_stored_data(key.resource, storage::app_data_kind, data);
        !signed_ok) {
      return respond.error(control::make_error("internal_error", signed_ok.error().describe()));
    }
    wire::store_req request;
    request.resource = key.resource;
    request.kind_data.push_back({storage::app_data_kind, wire::generation_counter{0},
                                 std::vector<wire::stored_data>{std::move(data)}});
    const std::string resource_hex = key.resource.hex();
    node_.send_request(
        {wire::destination::resource(key.resource)},
        {wire::message_code::store_req, std::move(request)},
        [respond, resource_hex](overlay::answer_result answer) {
          if (!answer) return respond.error(request_failed(answer.error()));
          const auto* stored = std::get_if<wire::store_ans>(&answer->body.value);
          if (!stored || stored->kind_responses.empty()) {
            return respond.error(control::make_error("peer_error", "unexpected answer to a Store"));
          }
          const auto& k = stored->kind_responses.front();
          respond.result({{"resource_id", resource_hex},
                          {"kind", "app-data"},
                          {"generation", k.generation.value},
                          {"replicas", k.replicas.size()}});
        });
  }

  void get(const json::object& params, control::responder respond) {
    if (refuse_unless_joined(respond) || refuse_other_kinds(params, respond)) return;
    const auto key = parse_app_data_key(params.at("key").as_string(), user_, key_use::get);
    const std::string encoding(params.at("encoding").as_string());
    wire::stored_data_specifier specifier;
    specifier.kind = storage::app_data_kind;
    std::vector<wire::dictionary_key> entries;
    if (key.entry && !key.entry->empty()) entries.push_back(bytes_of(*key.entry));
    specifier.model_specifier = std::move(entries);
    wire::fetch_req request;
    request.resource = key.resource;
    request.specifiers.push_back(std::move(specifier));
    const std::string resource_hex = key.resource.hex();
    node_.send_request(
        {wire::destination::resource(key.resource)},
        {wire::message_code::fetch_req, std::move(request)},
        [respond, resource_hex, encoding](overlay::answer_result answer) {
          if (!answer) return respond.error(request_failed(answer.error()));
          const auto* fetched = std::get_if<wire::fetch_ans>(&answer->body.value);
          if (!fetched)
            return respond.error(control::make_error("peer_error", "unexpected answer to a Fetch"));
          json::array values;
          for (const auto& block : fetched->kind_responses) {
            const auto* list = std::get_if<0>(&block.values);
            if (list == nullptr) continue;
            for (const auto& data : *list) {
              const auto* entry = std::get_if<wire::dictionary_entry>(&data.value.entry);
              if (entry == nullptr || !entry->value.exists) continue;
              values.push_back(
                  json::object{{"key", std::string(entry->key.begin(), entry->key.end())},
                               {"value", encode_value(entry->value.value, encoding)},
                               {"generation", block.generation.value},
                               {"lifetime_s", data.lifetime}});
            }
          }
          if (values.empty())
            return respond.error(control::make_error("not_found", "nothing stored under that key"));
          respond.result(
              {{"resource_id", resource_hex}, {"kind", "app-data"}, {"values", std::move(values)}});
        });
  }

  json::object reload() {
    notifier_.reloading();
    auto fresh = load_config(config_file_);
    if (!fresh) {
      logs.write(log_level::error, "reload refused: " + fresh.error().describe());
      notifier_.ready(daemon::overlay_status_text(reported_state(), transport_.link_count()));
      return {{"reloaded", false}, {"changed", json::array{}}, {"error", fresh.error().describe()}};
    }
    json::array changed;
    // Settings a running node can take without dropping links; the rest
    // apply at the next start.
    if (fresh->config.log != config_.config.log) {
      changed.emplace_back("log.level");
      if (!explicit_log_level_) logs.set(fresh->config.log);
    }
    if (fresh->config.overlay.bootstrap_nodes != config_.config.overlay.bootstrap_nodes) {
      changed.emplace_back("overlay.bootstrap-nodes");
    }
    config_ = std::move(*fresh);
    logs.write(log_level::notice, "configuration reloaded from " + config_.source);
    notifier_.ready(daemon::overlay_status_text(reported_state(), transport_.link_count()));
    return {{"reloaded", true}, {"changed", std::move(changed)}};
  }

  // --- overlay life cycle -------------------------------------------------------

  void observe() {
    node_.on_state_change([this](overlay::node_state state) {
      logs.write(log_level::notice, std::string("state ") + overlay::to_string(state));
      publish_state();
      if (state == overlay::node_state::joined && !ready_sent_) {
        ready_sent_ = true;
        notifier_.ready(daemon::overlay_status_text(reported_state(), transport_.link_count()));
      }
    });
    transport_.set_observers(
        {.on_link_up =
             [this](const wire::node_id& peer) {
               last_linked_ = std::chrono::steady_clock::now();
               events_.publish("peer.up", {{"node_id", peer.hex()}});
               logs.write(log_level::info, "link up " + peer.hex());
               if (node_.state() == overlay::node_state::idle && bootstrap_peers_.contains(peer)) {
                 node_.join(peer);
               }
             },
         .on_link_down =
             [this](const wire::node_id& peer, const std::string& reason) {
               events_.publish("peer.down", {{"node_id", peer.hex()}, {"reason", reason}});
               logs.write(log_level::info, "link down " + peer.hex() + ": " + reason);
             }});
  }

  void publish_state() {
    const auto state = reported_state();
    if (state == last_published_state_) return;
    last_published_state_ = state;
    events_.publish("node.state", {{"state", state}});
    notifier_.status(daemon::overlay_status_text(state, transport_.link_count()));
  }

  void start_bootstrap() {
    const auto& nodes = config_.config.overlay.bootstrap_nodes;
    if (nodes.empty() && !discovery_) {
      logs.write(log_level::notice, "no bootstrap peers: starting a new overlay");
      node_.start_new_overlay();
      return;
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) dial_bootstrap(nodes[i], first_retry_delay);
    bootstrap_timer_.expires_after(bootstrap_wait);
    bootstrap_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || node_.state() != overlay::node_state::idle) return;
      logs.write(log_level::notice, "no bootstrap peer answered: starting a new overlay");
      node_.start_new_overlay();
    });
  }

  // Dials a configured bootstrap peer until it answers or this node is in an
  // overlay; failures back off exponentially and are logged once per peer,
  // so an unreachable peer does not fill the journal.
  void dial_bootstrap(const daemon::host_port& where, std::chrono::seconds next_delay) {
    if (node_.state() != overlay::node_state::idle || shutting_down_) return;
    boost::system::error_code ec;
    asio::ip::tcp::resolver resolver(io_);
    const auto resolved = resolver.resolve(where.host, std::to_string(where.port), ec);
    if (ec || resolved.empty()) {
      retry_bootstrap(where, next_delay, "cannot resolve: " + ec.message());
      return;
    }
    transport_.dial_address(
        resolved.begin()->endpoint(), [this, where, next_delay](std::optional<wire::node_id> peer) {
          if (!peer) return retry_bootstrap(where, next_delay, "no TLS peer answered");
          logs.write(log_level::info, "bootstrap " + where.host + ":" + std::to_string(where.port) +
                                          " is " + peer->hex());
          bootstrap_peers_.insert(*peer);
        });
  }

  void retry_bootstrap(const daemon::host_port& where, std::chrono::seconds delay,
                       const std::string& why) {
    const std::string name = where.host + ":" + std::to_string(where.port);
    if (bootstrap_failures_logged_.insert(name).second) {
      logs.write(log_level::warning, "bootstrap " + name + ": " + why + "; retrying with backoff");
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([this, timer, where, delay](const boost::system::error_code& ec) {
      if (!ec) dial_bootstrap(where, std::min<std::chrono::seconds>(delay * 2, max_retry_delay));
    });
  }

  void start_discovery() {
    const auto& d = config_.config.discovery;
    if (!d.enabled) return;
    daemon::lan_discovery_options options;
    options.overlay_name = config_.config.overlay.name;
    options.self = self_;
    options.advertised_address = asio::ip::make_address(config_.config.node.listen_address);
    options.overlay_port = listen_port_;
    options.group = asio::ip::make_address_v4(d.group);
    options.port = d.port;
    options.interval = d.interval;
    options.interface = d.interface;
    options.ttl = d.ttl;
    discovery_ = std::make_unique<daemon::lan_discovery>(
        io_.get_executor(), options,
        [this](const wire::node_id& peer, const asio::ip::address& address, std::uint16_t port) {
          if (peer == self_ || transport_.connected(peer)) return;
          logs.write(log_level::info, "discovered " + peer.hex() + " at " + address.to_string() +
                                          ":" + std::to_string(port));
          bootstrap_peers_.insert(peer);
          transport_.dial(peer, {address, port});
        });
    if (const auto ec = discovery_->start()) {
      logs.write(log_level::warning, "LAN discovery off: " + ec.message());
      discovery_.reset();
    }
  }

  // --- signals and shutdown -----------------------------------------------------

  void wait_for_signals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        reload();
        wait_for_signals();
        return;
      }
      shut_down_gracefully(signal == SIGTERM ? "SIGTERM" : "SIGINT");
      wait_for_signals();  // a second SIGTERM during the leave changes nothing
    });
  }

  void shut_down_gracefully(const std::string& why) {
    if (shutting_down_) return;
    shutting_down_ = true;
    logs.write(log_level::notice, why + ": leaving the overlay");
    notifier_.stopping();
    bootstrap_timer_.cancel();
    if (discovery_) discovery_->stop();
    const auto state = node_.state();
    if (state != overlay::node_state::joined && state != overlay::node_state::joining) {
      finish();
      return;
    }
    auto bound = std::make_shared<asio::steady_timer>(io_, leave_bound);
    bound->async_wait([this, bound](const boost::system::error_code& ec) {
      if (ec) return;
      logs.write(log_level::warning, "leave did not finish in time; exiting anyway");
      finish();
    });
    node_.leave([this, bound] {
      bound->cancel();
      logs.write(log_level::notice, "left the overlay");
      finish();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    watchdog_.stop();
    housekeeping_.cancel();
    if (control_) control_->close();
    node_.stop();
    transport_.close_all();
    // Lets close_notify go out on each link before the loop ends.
    auto linger = std::make_shared<asio::steady_timer>(io_, 200ms);
    linger->async_wait([this, linger](const boost::system::error_code&) {
      signals_.cancel();
      io_.stop();
    });
  }

  // --- housekeeping -------------------------------------------------------------

  void schedule_housekeeping() {
    housekeeping_.expires_after(housekeeping_interval);
    housekeeping_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (transport_.link_count() > 0) last_linked_ = std::chrono::steady_clock::now();
      publish_state();  // isolation is noticed here: no event marks it
      const auto peers = transport_.link_count();
      if (peers != last_status_peers_) {
        last_status_peers_ = peers;
        notifier_.status(daemon::overlay_status_text(reported_state(), peers));
      }
      schedule_housekeeping();
    });
  }

  // Mirrors the node's cumulative counters into the registry, whose counters
  // only go up by increments.
  void refresh_metrics() {
    const auto& c = node_.counters();
    const std::pair<const char*, std::uint64_t> totals[] = {
        {"received", c.received},
        {"forwarded", c.forwarded},
        {"delivered", c.delivered},
        {"originated", c.originated},
        {"dropped_malformed", c.dropped_malformed},
        {"dropped_unroutable", c.dropped_unroutable},
        {"dropped_bad_signature", c.dropped_bad_signature},
        {"ttl_exceeded", c.ttl_exceeded},
        {"errors_sent", c.errors_sent},
        {"links_failed", c.links_failed}};
    for (const auto& [what, total] : totals) {
      auto& counter = metrics_.counter("reload_messages_total", "RELOAD messages by outcome",
                                       {{"outcome", what}});
      if (total > counter.value()) counter.increment(total - counter.value());
    }
    auto& sent = metrics_.counter("reload_bytes_sent_total", "bytes of RELOAD messages sent");
    if (c.bytes_sent > sent.value()) sent.increment(c.bytes_sent - sent.value());
    metrics_.gauge("overlay_links", "live overlay links")
        .set(static_cast<double>(transport_.link_count()));
    metrics_.gauge("storage_values", "values stored on this node")
        .set(static_cast<double>(storage_.store().value_count()));
    const auto& s = storage_.stats();
    auto& stores = metrics_.counter("storage_stores_total", "original Stores accepted");
    if (s.stores > stores.value()) stores.increment(s.stores - stores.value());
    metrics_.gauge("control_connections", "control socket clients")
        .set(static_cast<double>(control_ ? control_->stats().connections : 0));
  }

 public:
  bool explicit_log_level_ = false;

 private:
  asio::io_context& io_;
  loaded_config config_;
  std::optional<std::filesystem::path> config_file_;
  daemon::state_paths paths_;
  std::chrono::steady_clock::time_point started_;
  identity::certificate_verifier trust_;
  link::identity_authenticator authenticator_;
  identity::certificate_cache certificate_cache_;
  identity::signature_verifier signatures_;
  identity::node_credentials credentials_;
  wire::node_id self_;
  std::string user_;
  link::link_config link_config_;
  link::tls_context tls_;  // before signer_: see make_signer()
  identity::message_signer signer_;
  daemon::asio_timer_service timers_;
  daemon::link_transport transport_;
  overlay::identity_message_security security_;
  storage::kind_registry kinds_;
  overlay::overlay_node node_;
  storage::certificate_data_verifier data_verifier_;
  storage::overlay_storage storage_;
  control::event_bus events_;
  control::metrics_registry metrics_;
  std::unique_ptr<control::control_server> control_;
  daemon::systemd_notifier notifier_;
  asio::signal_set signals_;
  daemon::watchdog_pinger watchdog_;
  std::unique_ptr<daemon::lan_discovery> discovery_;
  asio::steady_timer housekeeping_;
  asio::steady_timer bootstrap_timer_;
  std::set<wire::node_id> bootstrap_peers_;
  std::set<std::string> bootstrap_failures_logged_;
  std::optional<std::chrono::steady_clock::time_point> last_linked_;
  std::string last_published_state_;
  std::size_t last_status_peers_ = 0;
  std::uint16_t listen_port_ = 0;
  bool ready_sent_ = false;
  bool shutting_down_ = false;
  bool finished_ = false;
  int exit_code_ = exit_ok;
};

}  // namespace

int main(int argc, char** argv) {
  const auto args = parse_command_line(argc, argv);
  if (!args) {
    std::cerr << usage_text;
    return exit_usage;
  }
  if (args->help) {
    std::cout << usage_text;
    return exit_ok;
  }
  const auto env = daemon::path_environment::from_process();
  const auto config_file = daemon::resolve_config_file(env, args->config_file);
  auto loaded = load_config(config_file);
  if (!loaded) {
    std::cerr << loaded.error().describe() << "\n";
    return exit_failure;
  }
  if (args->check_config) {
    std::cout << loaded->source << ": configuration is valid\n";
    return exit_ok;
  }
  logs.set(args->level.value_or(loaded->config.log));

  auto paths = daemon::resolve_state_paths(env, args->state_dir, loaded->config);
  if (!paths) {
    std::cerr << "p2psipd: " << paths.error().reason << "\n";
    return exit_failure;
  }
  auto prepared = daemon::prepare_state_paths(*paths);
  if (!prepared) {
    std::cerr << "p2psipd: " << prepared.error().reason << "\n";
    return exit_failure;
  }
  // A peer that vanishes mid-write must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    asio::io_context io;
    p2psip_daemon node(io, std::move(*loaded), config_file, *prepared);
    node.explicit_log_level_ = args->level.has_value();
    return node.run();
  } catch (const std::exception& e) {
    std::cerr << "p2psipd: " << e.what() << "\n";
    return exit_failure;
  }
}
