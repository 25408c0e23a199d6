// state_paths: where state, the control socket and the config file are
// found, for every source of the answer in order of precedence.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "daemon/state_paths.hpp"
#include "scoped_files.hpp"

namespace fs = std::filesystem;
using namespace p2psip::daemon;
using p2psip::test::scoped_env;
using p2psip::test::temp_dir;

namespace {

state_paths resolve(const path_environment& env, std::optional<fs::path> option = std::nullopt,
                    const daemon_config& config = daemon_config{}) {
  auto paths = resolve_state_paths(env, option, config);
  if (!paths) FAIL(paths.error().reason);
  return *paths;
}

path_environment login_session() {
  path_environment env;
  env.home = "/home/alice";
  env.xdg_state_home = "/home/alice/.state";
  env.xdg_runtime_dir = "/run/user/1000";
  return env;
}

path_environment systemd_service() {
  path_environment env = login_session();  // systemd's own variables win over these
  env.state_directory = "/var/lib/p2psipd";
  env.runtime_directory = "/run/p2psipd";
  env.configuration_directory = "/etc/p2psipd";
  return env;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("outside systemd: XDG state and runtime directories") {
  const auto paths = resolve(login_session());
  CHECK(paths.state_dir == "/home/alice/.state/p2psipd");
  CHECK(paths.control_socket == "/run/user/1000/p2psipd/control.sock");
  CHECK_FALSE(login_session().under_systemd());
}

TEST_CASE("without XDG_STATE_HOME: ~/.local/state/p2psipd") {
  path_environment env = login_session();
  env.xdg_state_home.reset();
  CHECK(resolve(env).state_dir == "/home/alice/.local/state/p2psipd");
  // The XDG spec says to ignore empty and relative values.
  env.xdg_state_home = "";
  CHECK(resolve(env).state_dir == "/home/alice/.local/state/p2psipd");
  env.xdg_state_home = "relative/state";
  CHECK(resolve(env).state_dir == "/home/alice/.local/state/p2psipd");
}

TEST_CASE("without a runtime directory the socket goes in the state directory") {
  path_environment env = login_session();
  env.xdg_runtime_dir.reset();
  CHECK(resolve(env).control_socket == "/home/alice/.state/p2psipd/control.sock");
}

TEST_CASE("under systemd: STATE_DIRECTORY and RUNTIME_DIRECTORY") {
  const path_environment env = systemd_service();
  CHECK(env.under_systemd());
  const auto paths = resolve(env);
  CHECK(paths.state_dir == "/var/lib/p2psipd");
  CHECK(paths.control_socket == "/run/p2psipd/control.sock");
  // Several StateDirectory= entries arrive colon-separated; ours is the first.
  path_environment several = env;
  several.state_directory = "/var/lib/p2psipd:/var/lib/other";
  CHECK(resolve(several).state_dir == "/var/lib/p2psipd");
}

TEST_CASE("--state-dir beats the configuration, which beats the environment") {
  daemon_config config;
  config.node.state_dir = "/srv/p2psipd";
  config.control.socket = "/srv/p2psipd.sock";
  CHECK(resolve(systemd_service(), std::nullopt, config).state_dir == "/srv/p2psipd");
  CHECK(resolve(systemd_service(), std::nullopt, config).control_socket == "/srv/p2psipd.sock");
  CHECK(resolve(systemd_service(), fs::path("/tmp/cli"), config).state_dir == "/tmp/cli");
  // A relative --state-dir is made absolute at once.
  CHECK(resolve(login_session(), fs::path("rel/dir")).state_dir == fs::current_path() / "rel/dir");
}

TEST_CASE("no HOME and nothing else: an error that says what to give") {
  auto paths = resolve_state_paths(path_environment{}, std::nullopt, daemon_config{});
  REQUIRE_FALSE(paths);
  CHECK(paths.error().reason ==
        "no state directory: give --state-dir or node.state-dir, or set HOME");
}

TEST_CASE("the process environment is read") {
  scoped_env state("STATE_DIRECTORY", "/var/lib/p2psipd");
  scoped_env runtime("RUNTIME_DIRECTORY", std::nullopt);
  scoped_env xdg("XDG_RUNTIME_DIR", "/run/user/7");
  const auto env = path_environment::from_process();
  CHECK(env.state_directory == "/var/lib/p2psipd");
  CHECK_FALSE(env.runtime_directory);
  CHECK(env.xdg_runtime_dir == "/run/user/7");
  CHECK(resolve(env).control_socket == "/run/user/7/p2psipd/control.sock");
}

TEST_CASE("the config file: -c, then systemd's, then the user's, then none") {
  temp_dir dir;
  path_environment env;
  env.home = (dir.path() / "home").string();
  env.configuration_directory = (dir.path() / "etc").string();
  CHECK(resolve_config_file(env, fs::path("/given.yaml")) == fs::path("/given.yaml"));
  CHECK_FALSE(resolve_config_file(env, std::nullopt));  // nothing exists: embedded default

  fs::create_directories(dir.path() / "home/.config/p2psipd");
  std::ofstream(dir.path() / "home/.config/p2psipd/p2psipd.yaml") << "overlay: {}\n";
  CHECK(resolve_config_file(env, std::nullopt) == dir.path() / "home/.config/p2psipd/p2psipd.yaml");

  fs::create_directories(dir.path() / "etc");
  std::ofstream(dir.path() / "etc/p2psipd.yaml") << "overlay: {}\n";
  CHECK(resolve_config_file(env, std::nullopt) == dir.path() / "etc/p2psipd.yaml");
}

TEST_CASE("directories are created 0700 and existing ones left alone") {
  temp_dir dir;
  state_paths paths{dir.path() / "state/p2psipd", dir.path() / "run/p2psipd/control.sock"};
  auto prepared = prepare_state_paths(paths);
  if (!prepared) FAIL(prepared.error().reason);
  CHECK(mode_of(dir.path() / "state") == 0700);
  CHECK(mode_of(dir.path() / "state/p2psipd") == 0700);
  CHECK(mode_of(dir.path() / "run/p2psipd") == 0700);

  fs::create_directories(dir.path() / "shared");
  ::chmod((dir.path() / "shared").c_str(), 0755);
  REQUIRE(ensure_private_directory(dir.path() / "shared"));
  CHECK(mode_of(dir.path() / "shared") == 0755);

  std::ofstream(dir.path() / "file") << "x";
  auto refused = ensure_private_directory(dir.path() / "file");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason ==
        (dir.path() / "file").string() + " exists and is not a directory");
}
