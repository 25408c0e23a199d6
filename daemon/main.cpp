// p2psipd: one RELOAD overlay node on real TLS links, driven through its
// JSON-RPC control socket (p2psipd(8)). main() parses the command line,
// loads the configuration and prepares the state directory; p2psip_daemon
// (p2psip_daemon.hpp) does the rest.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>

#include <sys/resource.h>

#include "daemon/daemon_config.hpp"
#include "daemon/overlay_provisioning.hpp"
#include "daemon/p2psip_daemon.hpp"
#include "daemon/state_paths.hpp"
#include "runtime/logger.hpp"

namespace {

using namespace p2psip;
using daemon::exit_failure;
using daemon::exit_ok;
using daemon::exit_usage;
using daemon::log_level;
using runtime::logs;

// --- command line -----------------------------------------------------------

struct command_line {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> state_dir;
  std::optional<log_level> level;
  // A box that knows only its overlay's name (§11.2, §11.3).
  std::optional<std::string> overlay;
  std::optional<std::string> config_url;
  std::optional<std::string> token;
  std::optional<std::string> enroll_user;
  std::optional<std::string> root;
  bool check_config = false;
  bool help = false;
};

constexpr const char* usage_text =
    "usage: p2psipd [-c FILE] [--state-dir DIR] [--check-config] [--log-level LEVEL]\n"
    "               [--overlay NAME [--config-url URL] [--root FINGERPRINT]]\n"
    "               [--token TOKEN | --enroll USER]\n"
    "  -c, --config FILE   configuration file (default: see p2psipd(8) FILES)\n"
    "  --state-dir DIR     identity and state directory\n"
    "  --check-config      validate the configuration and exit (0 valid, 1 not)\n"
    "  --log-level LEVEL   debug, info, notice, warning or error\n"
    "  --overlay NAME      join NAME, fetching its configuration document (RFC 6940 §11.2)\n"
    "  --config-url URL    where to fetch it (default https://NAME/.well-known/reload-config)\n"
    "  --token TOKEN       enroll once with this token from p2psip-ca token\n"
    "  --enroll USER       enroll as USER with the password on stdin, then exit\n"
    "  --root FINGERPRINT  trust the CA root with this sha256: fingerprint (no token)\n";

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
      out.level = runtime::parse_log_level(*v);
      if (!out.level) {
        std::cerr << "p2psipd: unknown log level '" << *v << "'\n";
        return std::nullopt;
      }
    } else if (arg == "--overlay" || arg == "--config-url" || arg == "--token" ||
               arg == "--enroll" || arg == "--root") {
      auto v = value();
      if (!v) return std::nullopt;
      auto& slot = arg == "--overlay"      ? out.overlay
                   : arg == "--config-url" ? out.config_url
                   : arg == "--token"      ? out.token
                   : arg == "--root"       ? out.root
                                           : out.enroll_user;
      slot = *v;
    } else if (arg == "--check-config") {
      out.check_config = true;
    } else if (arg == "-h" || arg == "--help") {
      out.help = true;
    } else {
      std::cerr << "p2psipd: unknown argument '" << arg << "'\n";
      return std::nullopt;
    }
  }
  if (out.token && out.enroll_user) {
    std::cerr << "p2psipd: --token and --enroll exclude each other\n";
    return std::nullopt;
  }
  if ((out.config_url || out.token || out.enroll_user || out.root) && !out.overlay) {
    std::cerr << "p2psipd: --config-url, --token, --enroll and --root need --overlay\n";
    return std::nullopt;
  }
  return out;
}

// The command line's overlay name replaces the file's overlay section: its
// parameters come from the configuration document.
void apply_overlay_arguments(const command_line& args, daemon::daemon_config& config) {
  if (!args.overlay) return;
  config.overlay = daemon::overlay_config{};
  config.overlay.name = *args.overlay;
  config.overlay.configuration_url = args.config_url;
}

// Settings for fetching the overlay's configuration, or nullopt when the
// configuration file carries the overlay section itself.
std::optional<daemon::provisioning_settings> provisioning_of(const command_line& args,
                                                             const daemon::daemon_config& config) {
  if (!daemon::fetches_configuration(config.overlay)) return std::nullopt;
  daemon::provisioning_settings settings;
  settings.overlay_name = config.overlay.name;
  settings.configuration_url = config.overlay.configuration_url;
  if (args.token) {
    settings.token = identity::parse_token(*args.token);
    if (!settings.token) {
      std::cerr << "p2psipd: --token: not a token from p2psip-ca token (USER/SECRET/FINGERPRINT)\n";
      return std::nullopt;
    }
  }
  if (args.root) {
    settings.root = identity::parse_fingerprint(*args.root);
    if (!settings.root) {
      std::cerr << "p2psipd: --root: not a fingerprint sha256:HEX (p2psip-ca init prints it)\n";
      return std::nullopt;
    }
  }
  if (args.enroll_user) {
    std::string password;
    if (!std::getline(std::cin, password) || password.empty()) {
      std::cerr << "p2psipd: --enroll reads the password from stdin; none given\n";
      return std::nullopt;
    }
    settings.user = *args.enroll_user;
    settings.password = std::move(password);
  }
  return settings;
}

// Retries a step that failed only because a server was unreachable, 1 s
// doubling to 60 s; anything else ends the attempt.
template <class Step>
auto with_backoff(const char* what, Step step) {
  auto delay = std::chrono::seconds(1);
  for (;;) {
    auto outcome = step();
    if (outcome || !outcome.error().retry_later()) return outcome;
    logs.write(log_level::warning, std::string(what) + ": " + outcome.error().describe() +
                                       "; retrying in " + std::to_string(delay.count()) + " s");
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::seconds(60));
  }
}

// §11.2 then §11.3, before the node starts. A stale saved document stands
// in for an unreachable server, and a still valid certificate for a CA that
// cannot renew it now; without either, unreachable servers are waited for.
std::optional<daemon::overlay_document> provision(
    const daemon::overlay_provisioning& provisioning) {
  using daemon::provisioning_cause;
  auto saved = provisioning.saved_document();
  auto fetched = saved ? provisioning.fetch(&*saved, std::chrono::system_clock::now())
                       : with_backoff("configuration", [&] {
                           return provisioning.fetch(nullptr, std::chrono::system_clock::now());
                         });
  std::optional<daemon::overlay_document> document;
  if (fetched) {
    document = std::move(*fetched);
    logs.write(log_level::notice, "configuration of " + document->overlay.name + " sequence " +
                                      std::to_string(document->sequence) + " fetched and verified");
  } else if (saved) {
    logs.write(log_level::warning, "configuration refetch failed (" + fetched.error().describe() +
                                       "); running on the saved document");
    document = std::move(*saved);
  } else {
    std::cerr << "p2psipd: " << fetched.error().describe() << "\n";
    return std::nullopt;
  }
  const identity::credential_store store(provisioning.state_dir());
  auto credentials = provisioning.credentials(*document, std::chrono::system_clock::now());
  if (!credentials && credentials.error().retry_later()) {
    const auto current = store.load();
    if (current && *current &&
        (*current)->certificate.check_validity(std::chrono::system_clock::now())) {
      logs.write(log_level::warning, "certificate renewal failed (" +
                                         credentials.error().describe() +
                                         "); running on the current certificate");
      return document;
    }
    credentials = with_backoff("enrollment", [&] {
      return provisioning.credentials(*document, std::chrono::system_clock::now());
    });
  }
  if (!credentials) {
    std::cerr << "p2psipd: " << credentials.error().describe() << "\n";
    return std::nullopt;
  }
  const auto& cert = credentials->certificate;
  logs.write(log_level::notice,
             "enrolled as " + cert.user_name().value_or("?") + " with Node-ID " +
                 (cert.node_ids().empty() ? "?" : cert.node_ids().front().hex()));
  return document;
}

// Overlay links, SIP connections and control clients each take a
// descriptor; the usual soft limit of 1024 is far below the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);  // refused under a sandbox: the unit's LimitNOFILE holds
  }
}

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
  auto loaded = daemon::load_config(config_file);
  if (!loaded) {
    std::cerr << loaded.error().describe() << "\n";
    return exit_failure;
  }
  if (args->check_config) {
    std::cout << loaded->source << ": configuration is valid\n";
    return exit_ok;
  }
  apply_overlay_arguments(*args, loaded->config);
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
  std::optional<daemon::overlay_provisioning> provisioning;
  if (daemon::fetches_configuration(loaded->config.overlay)) {
    auto settings = provisioning_of(*args, loaded->config);
    if (!settings) return exit_usage;
    provisioning.emplace(prepared->state_dir, std::move(*settings));
    const auto document = provision(*provisioning);
    if (!document) return exit_failure;
    if (args->enroll_user) return exit_ok;
    loaded->config.overlay = provisioning->overlay_of(*document);
  }
  // A peer that vanishes mid-write must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  try {
    boost::asio::io_context io;
    daemon::p2psip_daemon node(io, std::move(*loaded), config_file, *prepared);
    node.explicit_log_level_ = args->level.has_value();
    node.provisioning_ = std::move(provisioning);
    return node.run();
  } catch (const std::exception& e) {
    std::cerr << "p2psipd: " << e.what() << "\n";
    return exit_failure;
  }
}
