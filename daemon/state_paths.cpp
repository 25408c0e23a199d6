#include "daemon/state_paths.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace p2psip::daemon {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> environment_variable(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// systemd passes one directory per StateDirectory= entry, colon-separated;
// the unit names only p2psipd, so the first is ours.
std::optional<fs::path> systemd_directory(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::nullopt;
  return fs::path(value->substr(0, value->find(':')));
}

// The XDG base directory spec: an empty or relative value is to be ignored.
std::optional<fs::path> xdg_directory(const std::optional<std::string>& value) {
  if (!value || value->empty() || value->front() != '/') return std::nullopt;
  return fs::path(*value);
}

std::optional<fs::path> home_relative(const path_environment& env, const char* suffix) {
  if (!env.home || env.home->empty() || env.home->front() != '/') return std::nullopt;
  return fs::path(*env.home) / suffix;
}

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

}  // namespace

path_environment path_environment::from_process() {
  path_environment env;
  env.state_directory = environment_variable("STATE_DIRECTORY");
  env.runtime_directory = environment_variable("RUNTIME_DIRECTORY");
  env.configuration_directory = environment_variable("CONFIGURATION_DIRECTORY");
  env.xdg_state_home = environment_variable("XDG_STATE_HOME");
  env.xdg_runtime_dir = environment_variable("XDG_RUNTIME_DIR");
  env.xdg_config_home = environment_variable("XDG_CONFIG_HOME");
  env.home = environment_variable("HOME");
  return env;
}

path_result<state_paths> resolve_state_paths(const path_environment& env,
                                             const std::optional<fs::path>& state_dir_option,
                                             const daemon_config& config) {
  state_paths paths;
  if (state_dir_option) {
    paths.state_dir = *state_dir_option;
  } else if (config.node.state_dir) {
    paths.state_dir = *config.node.state_dir;
  } else if (auto systemd = systemd_directory(env.state_directory)) {
    paths.state_dir = *systemd;
  } else if (auto xdg = xdg_directory(env.xdg_state_home)) {
    paths.state_dir = *xdg / "p2psipd";
  } else if (auto home = home_relative(env, ".local/state/p2psipd")) {
    paths.state_dir = *home;
  } else {
    return path_error{"no state directory: give --state-dir or node.state-dir, or set HOME"};
  }

  if (config.control.socket) {
    paths.control_socket = *config.control.socket;
  } else if (auto systemd = systemd_directory(env.runtime_directory)) {
    paths.control_socket = *systemd / "control.sock";
  } else if (auto xdg = xdg_directory(env.xdg_runtime_dir)) {
    paths.control_socket = *xdg / "p2psipd" / "control.sock";
  } else {
    // No runtime directory (e.g. a system account without a login session):
    // the private state directory is the next place only we can write.
    paths.control_socket = paths.state_dir / "control.sock";
  }
  // Absolute, so a later chdir (or a log line) cannot change what they mean.
  for (fs::path* p : {&paths.state_dir, &paths.control_socket}) {
    std::error_code ec;
    if (fs::path absolute = fs::absolute(*p, ec); !ec) *p = absolute;
    *p = p->lexically_normal();
  }
  return paths;
}

std::optional<fs::path> resolve_config_file(const path_environment& env,
                                            const std::optional<fs::path>& config_option) {
  if (config_option) return config_option;
  if (auto systemd = systemd_directory(env.configuration_directory)) {
    if (file_exists(*systemd / "p2psipd.yaml")) return *systemd / "p2psipd.yaml";
  }
  std::optional<fs::path> user_dir = xdg_directory(env.xdg_config_home);
  if (!user_dir) user_dir = home_relative(env, ".config");
  if (user_dir && file_exists(*user_dir / "p2psipd" / "p2psipd.yaml")) {
    return *user_dir / "p2psipd" / "p2psipd.yaml";
  }
  return std::nullopt;
}

path_result<fs::path> ensure_private_directory(const fs::path& dir) {
  if (dir.empty()) return path_error{"empty directory path"};
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return dir;
    return path_error{dir.string() + " exists and is not a directory"};
  }
  if (errno != ENOENT)
    return path_error{"cannot stat " + dir.string() + ": " + std::strerror(errno)};
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    auto parent = ensure_private_directory(dir.parent_path());
    if (!parent) return parent;
  }
  // EEXIST: made meanwhile by someone else; the check above then holds.
  if (::mkdir(dir.c_str(), private_directory_mode) != 0 && errno != EEXIST) {
    return path_error{"cannot create " + dir.string() + ": " + std::strerror(errno)};
  }
  return dir;
}

path_result<state_paths> prepare_state_paths(const state_paths& paths) {
  if (auto made = ensure_private_directory(paths.state_dir); !made) return made.error();
  if (auto made = ensure_private_directory(paths.control_socket.parent_path()); !made) {
    return made.error();
  }
  return paths;
}

}  // namespace p2psip::daemon
