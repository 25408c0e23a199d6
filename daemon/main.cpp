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

#include <boost/asio/io_context.hpp>

#include <sys/resource.h>

#include "daemon/daemon_config.hpp"
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
      out.level = runtime::parse_log_level(*v);
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
  raise_descriptor_limit();
  try {
    boost::asio::io_context io;
    daemon::p2psip_daemon node(io, std::move(*loaded), config_file, *prepared);
    node.explicit_log_level_ = args->level.has_value();
    return node.run();
  } catch (const std::exception& e) {
    std::cerr << "p2psipd: " << e.what() << "\n";
    return exit_failure;
  }
}
