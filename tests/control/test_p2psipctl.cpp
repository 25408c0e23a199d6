// p2psipctl end to end against an in-test control server: exit codes 0/1/2/3,
// key=value typing from the schemas, JSON output when piped, P2PSIP_SOCKET,
// the event stream, wait joined, and the generated bash completion.
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "cli_arguments.hpp"
#include "human_output.hpp"
#include "control_test_support.hpp"

extern char** environ;

using namespace p2psip::control;
using namespace p2psip::control::test;
namespace json = boost::json;
namespace ctl = p2psip::ctl;

namespace {

std::string p2psipctl_path() {
  const char* path = std::getenv("P2PSIPCTL");
  if (!path) FAIL("P2PSIPCTL must name the p2psipctl binary (meson sets it)");
  return path;
}

// A child process with its stdout and stderr on pipes.
class process {
 public:
  process(std::vector<std::string> args, std::vector<std::string> extra_env) {
    int out[2];
    int err[2];
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(err) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, err[0]);
    std::vector<std::string> env;
    for (char** entry = environ; *entry; ++entry) {
      const std::string_view variable(*entry);
      // The tests decide the socket variables; the caller's must not leak in.
      if (variable.starts_with("P2PSIP_SOCKET=") || variable.starts_with("RUNTIME_DIRECTORY=") ||
          variable.starts_with("XDG_RUNTIME_DIR=")) {
        continue;
      }
      env.emplace_back(variable);
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& variable : env) envp.push_back(variable.data());
    envp.push_back(nullptr);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
    REQUIRE(spawned == 0);
  }
  ~process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
    ::close(err_);
  }

  // Reads stdout up to the next newline.
  std::optional<std::string> read_stdout_line(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto newline = stdout_.find('\n'); newline != std::string::npos) {
        std::string line = stdout_.substr(0, newline);
        stdout_.erase(0, newline + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !drain(out_, stdout_, left)) return std::nullopt;
    }
  }

  void signal(int number) { ::kill(pid_, number); }

  // Waits for exit, collecting all output; -1 if it did not exit in time.
  int wait(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true;
    bool err_open = true;
    while (out_open || err_open) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return -1;
      pollfd fds[2] = {{out_open ? out_ : -1, POLLIN, 0}, {err_open ? err_ : -1, POLLIN, 0}};
      if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
      if (fds[0].revents) out_open = drain(out_, stdout_, 0ms);
      if (fds[1].revents) err_open = drain(err_, stderr_, 0ms);
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  const std::string& out() const { return stdout_; }
  const std::string& err() const { return stderr_; }

 private:
  // Appends what is readable; false at end of file.
  static bool drain(int fd, std::string& into, std::chrono::milliseconds timeout) {
    pollfd wait{fd, POLLIN, 0};
    if (::poll(&wait, 1, static_cast<int>(timeout.count())) <= 0) return true;
    char buffer[65536];
    const ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got <= 0) return false;
    into.append(buffer, static_cast<std::size_t>(got));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string stdout_;
  std::string stderr_;
};

struct run_result {
  int code;
  std::string out;
  std::string err;
};

run_result run_ctl(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), p2psipctl_path());
  process child(std::move(args), std::move(env));
  const int code = child.wait();
  INFO("stderr: " << child.err());
  return {code, child.out(), child.err()};
}

json::object only_json_line(const std::string& out) {
  REQUIRE(!out.empty());
  REQUIRE(out.find('\n') == out.size() - 1);
  return json::parse(out).as_object();
}

}  // namespace

TEST_CASE("p2psipctl: a successful call prints JSON when piped and exits 0", "[p2psipctl]") {
  test_server server;
  const auto status = run_ctl({"--socket", server.path, "status"});
  CHECK(status.code == 0);
  CHECK(only_json_line(status.out).at("state") == json::value("joined"));

  const auto with_flag = run_ctl({"--json", "--socket", server.path, "node.status"});
  CHECK(with_flag.code == 0);
  CHECK(only_json_line(with_flag.out).at("node_id") == json::value("00ff"));
}

TEST_CASE("p2psipctl: key=value arguments are typed by the schema", "[p2psipctl]") {
  test_server server;
  const auto put =
      run_ctl({"--socket", server.path, "put", "key=alice", "value=42", "lifetime=60"});
  REQUIRE(put.code == 0);
  const auto echo = only_json_line(put.out).at("echo").as_object();
  CHECK(echo.at("value") == json::value("42"));   // a string parameter stays a string
  CHECK(echo.at("lifetime") == json::value(60));  // an integer parameter becomes a number
  CHECK(echo.at("kind") == json::value("app-data"));
}

TEST_CASE("p2psipctl: P2PSIP_SOCKET and the runtime directories choose the socket", "[p2psipctl]") {
  test_server server;
  CHECK(run_ctl({"status"}, {"P2PSIP_SOCKET=" + server.path}).code == 0);
  const std::string dir = server.dir.path().string();
  CHECK(run_ctl({"status"}, {"RUNTIME_DIRECTORY=" + dir}).code == 0);
  // --socket wins over the environment.
  CHECK(run_ctl({"--socket", server.path, "status"}, {"P2PSIP_SOCKET=/nonexistent/x.sock"}).code ==
        0);

  const auto env = [](std::map<std::string, std::string> values) {
    return [values](const char* name) -> const char* {
      const auto found = values.find(name);
      return found == values.end() ? nullptr : found->second.c_str();
    };
  };
  CHECK(ctl::default_socket_path(env({})) == "/run/p2psipd/control.sock");
  CHECK(ctl::default_socket_path(env({{"XDG_RUNTIME_DIR", "/run/user/1000"}})) ==
        "/run/user/1000/p2psipd/control.sock");
  CHECK(ctl::default_socket_path(
            env({{"XDG_RUNTIME_DIR", "/x"}, {"RUNTIME_DIRECTORY", "/run/p2psipd"}})) ==
        "/run/p2psipd/control.sock");
  CHECK(ctl::default_socket_path(env({{"RUNTIME_DIRECTORY", "/run/a:/run/b"}})) ==
        "/run/a/control.sock");
  CHECK(ctl::default_socket_path(env({{"P2PSIP_SOCKET", "/s"}, {"RUNTIME_DIRECTORY", "/r"}})) ==
        "/s");
}

TEST_CASE("p2psipctl: a daemon error exits 1 with its name", "[p2psipctl]") {
  test_server server;
  const auto missing = run_ctl({"--socket", server.path, "get", "key=nobody"});
  CHECK(missing.code == 1);
  CHECK(missing.out.empty());
  CHECK(missing.err.find("not_found") != std::string::npos);

  const auto unserved = run_ctl({"--socket", server.path, "fingers"});
  CHECK(unserved.code == 1);
  CHECK(unserved.err.find("not_implemented") != std::string::npos);
}

TEST_CASE("p2psipctl: an unreachable daemon exits 2", "[p2psipctl]") {
  temp_dir dir;
  const auto absent = run_ctl({"--socket", (dir.path() / "none.sock").string(), "status"});
  CHECK(absent.code == 2);
  CHECK(absent.err.find("cannot connect") != std::string::npos);
}

TEST_CASE("p2psipctl: usage errors are caught from the schemas and exit 3", "[p2psipctl]") {
  temp_dir dir;
  // No daemon at this path: usage errors must be found before connecting.
  const std::string socket = (dir.path() / "none.sock").string();
  const std::vector<std::vector<std::string>> bad{
      {"explode"},
      {"node.explode", "justaword"},
      {"status", "verbose=1"},
      {"put", "key=k", "value=v", "lifetime=soon"},
      {"put", "value=v"},
      {"log.set_level", "level=loud"},
      {"put", "justaword"},
      {"--frobnicate", "status"},
      {"status", "--prometheus"},
      {"wait", "forever"},
      {},
  };
  for (auto args : bad) {
    args.insert(args.begin(), {"--socket", socket});
    const auto result = run_ctl(args);
    INFO(result.err);
    CHECK(result.code == 3);
    CHECK(result.err.find("p2psipctl: ") == 0);
  }
}

TEST_CASE("p2psipctl: a method it has no schema for is still sent, values as JSON or text",
          "[p2psipctl]") {
  const std::vector<std::string_view> args{"node.explode", "count=3", "loud=true", "ids=[1,2]",
                                           "name=bob", "quoted=\"7\""};
  const auto parsed = ctl::parse_arguments(args, standard_catalog(), [](const char*) {
    return static_cast<const char*>(nullptr);
  });
  REQUIRE(std::holds_alternative<ctl::invocation>(parsed));
  const auto& call = std::get<ctl::invocation>(parsed);
  CHECK(call.method == "node.explode");
  CHECK(call.params.at("count") == json::value(3));
  CHECK(call.params.at("loud") == json::value(true));
  CHECK(call.params.at("ids") == json::parse("[1,2]"));
  CHECK(call.params.at("name") == json::value("bob"));
  CHECK(call.params.at("quoted") == json::value("7"));

  // Sent: the daemon, not the CLI, says what it thinks of it.
  test_server server;
  const auto sent = run_ctl({"--socket", server.path, "node.explode", "count=3"});
  CHECK(sent.code == 1);
  CHECK(sent.err.find("method_not_found") != std::string::npos);
}

TEST_CASE("p2psipctl: human output is tables all the way down, never JSON in a cell",
          "[p2psipctl]") {
  const auto registrations = json::parse(R"({"registrations":[
      {"aor":"sip:alice@x","published":"stored","contacts":[
          {"uri":"sip:alice@10.0.0.1","expires_s":60},{"uri":"sip:alice@10.0.0.2","expires_s":30}]},
      {"aor":"sip:bob@x","published":"storing","contacts":[{"uri":"sip:bob@10.0.0.3"}]}]})");
  const auto text = ctl::render_human(registrations.as_object());
  INFO(text);
  CHECK(text.find('{') == std::string::npos);
  CHECK(text.find("CONTACTS.URI") != std::string::npos);
  // One line per contact; the second contact's line leaves the AOR blank.
  CHECK(text.find("sip:alice@x  stored     sip:alice@10.0.0.1  60") != std::string::npos);
  CHECK(text.find("\n" + std::string(26, ' ') + "sip:alice@10.0.0.2  30") != std::string::npos);
  CHECK(text.find("sip:bob@10.0.0.3") != std::string::npos);

  const auto metrics = json::parse(R"({"format":"json","metrics":{"peers":{"type":"gauge",
      "help":"linked peers","samples":[{"labels":{"role":"finger"},"value":2}]}}})");
  const auto shown = ctl::render_human(metrics.as_object());
  INFO(shown);
  CHECK(shown.find('{') == std::string::npos);
  CHECK(shown.find("LABELS.ROLE") != std::string::npos);
}

TEST_CASE("p2psipctl: metrics on a terminal are one table, a line per sample", "[p2psipctl]") {
  const auto metrics = json::parse(R"({"format":"json","metrics":{
      "heap_bytes":{"type":"gauge","help":"heap in use","samples":[{"labels":{},"value":1403280.0}]},
      "peers":{"type":"gauge","help":"linked peers","samples":[
          {"labels":{"role":"finger","side":"left"},"value":2},{"labels":{"role":"successor"},"value":1}]},
      "empty":{"type":"counter","help":"never sampled","samples":[]}}})");
  const auto shown = ctl::render_metrics(metrics.as_object());
  INFO(shown);
  CHECK(shown.find('{') == std::string::npos);
  CHECK(shown.starts_with("METRIC      LABELS                 VALUE    TYPE   HELP\n"));
  CHECK(shown.find("heap_bytes  -                      1403280  gauge  heap in use\n") !=
        std::string::npos);
  CHECK(shown.find("peers       role=finger,side=left  2        gauge  linked peers\n") !=
        std::string::npos);
  CHECK(shown.find("role=successor") != std::string::npos);
  CHECK(shown.find("empty") == std::string::npos);
  CHECK(ctl::render_metrics(json::parse(R"({"metrics":{}})").as_object()) == "(no metrics)\n");
}

TEST_CASE("p2psipctl: typed values follow the parameter's type", "[p2psipctl]") {
  const auto typed = [](value_type type, std::string_view text) {
    param_schema param;
    param.name = "p";
    param.type = type;
    param.item_type = value_type::integer;
    return ctl::typed_value(param, text);
  };
  CHECK(std::get<json::value>(typed(value_type::boolean, "true")) == json::value(true));
  CHECK(std::get<json::value>(typed(value_type::boolean, "no")) == json::value(false));
  CHECK(std::holds_alternative<ctl::usage_error>(typed(value_type::boolean, "maybe")));
  CHECK(std::get<json::value>(typed(value_type::integer, "-5")) == json::value(-5));
  CHECK(std::holds_alternative<ctl::usage_error>(typed(value_type::integer, "5.5")));
  CHECK(std::get<json::value>(typed(value_type::number, "2.5")) == json::value(2.5));
  CHECK(std::get<json::value>(typed(value_type::string, "007")) == json::value("007"));
  CHECK(std::get<json::value>(typed(value_type::array, "1,2")) == json::value(json::array{1, 2}));
  CHECK(std::get<json::value>(typed(value_type::array, "[3]")) == json::value(json::array{3}));
  CHECK(std::get<json::value>(typed(value_type::object, R"({"a":1})")).as_object().at("a") ==
        json::value(1));
  CHECK(std::holds_alternative<ctl::usage_error>(typed(value_type::object, "[1]")));
}

TEST_CASE("p2psipctl: metrics --prometheus prints the exposition text", "[p2psipctl]") {
  test_server server;
  server.on_loop([&] { server.state.metrics.gauge("overlay_peers", "connected peers").set(3); });
  const auto text = run_ctl({"--socket", server.path, "metrics", "--prometheus"});
  CHECK(text.code == 0);
  CHECK(text.out ==
        "# HELP overlay_peers connected peers\n# TYPE overlay_peers gauge\noverlay_peers 3\n");
}

TEST_CASE("p2psipctl: events streams one JSON object per line until interrupted", "[p2psipctl]") {
  test_server server;
  process events({p2psipctl_path(), "--socket", server.path, "events", "topics=peer.*"}, {});
  const auto snapshot = events.read_stdout_line();
  REQUIRE(snapshot);
  CHECK(json::parse(*snapshot).at("snapshot").at("state") == json::value("joined"));
  REQUIRE(eventually(
      [&] { return server.on_loop([&] { return server.events.subscriber_count(); }) == 1; }));
  server.on_loop([&] {
    server.events.publish("node.state", {{"state", "leaving"}});  // filtered out
    server.events.publish("peer.up", {{"node_id", "0a"}});
  });
  const auto event = events.read_stdout_line();
  REQUIRE(event);
  CHECK(json::parse(*event).at("topic") == json::value("peer.up"));
  events.signal(SIGINT);
  CHECK(events.wait() == 0);
}

TEST_CASE("p2psipctl: wait joined succeeds once joined, and times out otherwise", "[p2psipctl]") {
  test_server server;
  server.on_loop([&] { server.state.node_state = "joining"; });
  SECTION("joins in time") {
    process waiting(
        {p2psipctl_path(), "--socket", server.path, "wait", "joined", "--timeout", "10"}, {});
    std::this_thread::sleep_for(300ms);
    server.on_loop([&] { server.state.node_state = "joined"; });
    CHECK(waiting.wait() == 0);
  }
  SECTION("times out") {
    const auto started = std::chrono::steady_clock::now();
    const auto result = run_ctl({"--socket", server.path, "wait", "joined", "--timeout", "0.5"});
    CHECK(result.code == 1);
    CHECK(result.err.find("timed out") != std::string::npos);
    CHECK(result.err.find("joining") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
  }
  SECTION("no daemon at all also times out") {
    temp_dir dir;
    const auto result = run_ctl(
        {"--socket", (dir.path() / "x.sock").string(), "wait", "joined", "--timeout", "0.3"});
    CHECK(result.code == 1);
  }
}

TEST_CASE("p2psipctl: help and bash completion come from the schemas", "[p2psipctl]") {
  const auto help = run_ctl({"--help"});
  CHECK(help.code == 0);
  const schema_catalog catalog = standard_catalog();
  for (const auto& [name, schema] : catalog.methods())
    CHECK(help.out.find(name) != std::string::npos);
  const auto method_help = run_ctl({"help", "put"});
  CHECK(method_help.code == 0);
  CHECK(method_help.out.find("lifetime=integer") != std::string::npos);

  const auto script = run_ctl({"--completion", "bash"});
  REQUIRE(script.code == 0);
  temp_dir dir;
  const std::string script_path = (dir.path() / "p2psipctl.bash").string();
  {
    std::FILE* file = std::fopen(script_path.c_str(), "w");
    REQUIRE(file);
    std::fputs(script.out.c_str(), file);
    std::fclose(file);
  }
  // Completes a line the way bash would, printing the candidates.
  const auto complete = [&](const std::string& line) {
    const std::string program = "source " + script_path + "; COMP_LINE='" + line +
                                "'; COMP_POINT=${#COMP_LINE}; _p2psipctl; echo \"${COMPREPLY[*]}\"";
    process bash({"/bin/bash", "--norc", "-c", program}, {});
    REQUIRE(bash.wait() == 0);
    std::string out = bash.out();
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  };
  CHECK(complete("p2psipctl sto") == "storage.get storage.put storage.unwatch storage.watch");
  CHECK(complete("p2psipctl put l") == "lifetime=");
  CHECK(complete("p2psipctl --json log.set_level ").find("level=") != std::string::npos);
  // bash splits words at '=', so only the value part is offered.
  CHECK(complete("p2psipctl log.set_level level=de") == "debug");
  CHECK(complete("p2psipctl metrics f") == "format=");
  CHECK(complete("p2psipctl wait ") == "joined --timeout");
}
