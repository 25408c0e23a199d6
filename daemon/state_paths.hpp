// Where p2psipd keeps its state (identity, stored data) and its control
// socket, and which configuration file it reads, decided from the command
// line, the configuration and the environment (p2psipd(8) FILES):
//
//   state dir:      --state-dir > node.state-dir > $STATE_DIRECTORY (systemd)
//                   > $XDG_STATE_HOME/p2psipd > ~/.local/state/p2psipd
//   control socket: control.socket > $RUNTIME_DIRECTORY/control.sock (systemd)
//                   > $XDG_RUNTIME_DIR/p2psipd/control.sock > STATE_DIR/control.sock
//   config file:    -c FILE > $CONFIGURATION_DIRECTORY/p2psipd.yaml (systemd)
//                   > $XDG_CONFIG_HOME/p2psipd/p2psipd.yaml (else ~/.config/...)
//                   > the embedded default; the last three only if the file exists.
//
// The environment is passed in, so tests need not touch the process's own.
#pragma once

#include <sys/types.h>
#include <filesystem>
#include <optional>
#include <string>

#include "daemon/daemon_config.hpp"

namespace p2psip::daemon {

// Directories the daemon creates are for it alone. (Secrets inside them are
// written 0600 by the identity layer: identity::secret_file_mode.)
inline constexpr mode_t private_directory_mode = 0700;

struct path_environment {
  // systemd's StateDirectory=, RuntimeDirectory=, ConfigurationDirectory=.
  std::optional<std::string> state_directory;
  std::optional<std::string> runtime_directory;
  std::optional<std::string> configuration_directory;
  std::optional<std::string> xdg_state_home;
  std::optional<std::string> xdg_runtime_dir;
  std::optional<std::string> xdg_config_home;
  std::optional<std::string> home;

  // Reads the variables above from this process's environment.
  static path_environment from_process();
  // systemd sets STATE_DIRECTORY for a unit with StateDirectory=.
  bool under_systemd() const noexcept { return state_directory.has_value(); }
};

struct state_paths {
  std::filesystem::path state_dir;
  std::filesystem::path control_socket;
};

struct path_error {
  std::string reason;
};

template <class T>
using path_result = wire::basic_result<T, path_error>;

// Fails only when nothing gives a state directory (no HOME either).
path_result<state_paths> resolve_state_paths(
    const path_environment& env, const std::optional<std::filesystem::path>& state_dir_option,
    const daemon_config& config);

// The configuration file to read: the -c FILE given (whether or not it
// exists: reading it reports that), else the first default location that
// exists, else nullopt for the embedded default.
std::optional<std::filesystem::path> resolve_config_file(
    const path_environment& env, const std::optional<std::filesystem::path>& config_option);

// Creates `dir` and any missing parents with mode 0700 (umask aside);
// directories that exist are left as they are, since systemd or the admin
// made them. Fails if `dir` exists and is not a directory.
path_result<std::filesystem::path> ensure_private_directory(const std::filesystem::path& dir);

// Both directories the daemon needs: the state dir and the socket's parent.
path_result<state_paths> prepare_state_paths(const state_paths& paths);

}  // namespace p2psip::daemon
