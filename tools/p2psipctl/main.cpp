// p2psipctl: the command-line client of p2psipd's control socket.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include <unistd.h>
#include <boost/json/serialize.hpp>

#include "bash_completion.hpp"
#include "cli_arguments.hpp"
#include "control/control_client.hpp"
#include "control/standard_methods.hpp"
#include "human_output.hpp"
#include "password_prompt.hpp"

namespace {

namespace json = boost::json;
namespace control = p2psip::control;
using namespace p2psip::ctl;
using namespace std::chrono_literals;

constexpr auto default_call_timeout = 30s;
constexpr auto default_wait_timeout = 60s;
constexpr auto wait_poll_interval = 200ms;

volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) { interrupted = 1; }

// Without SA_RESTART, so a blocked poll() returns and the stream ends cleanly.
void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int fail(int code, const std::string& message) {
  std::cerr << "p2psipctl: " << message << '\n';
  return code;
}

int report_daemon_error(const control::rpc_error& error, bool json_output) {
  if (json_output) {
    std::cerr << json::serialize(error.to_json()) << '\n';
  } else {
    std::cerr << "p2psipctl: " << error.message << " [" << error.name << ", " << error.code
              << "]\n";
  }
  return exit_daemon_error;
}

void print_result(const invocation& command, const json::object& result) {
  if (command.prometheus) {
    if (const json::value* text = result.if_contains("text"); text && text->is_string()) {
      std::cout << text->as_string().c_str();
      return;
    }
  }
  if (command.json_output) {
    std::cout << json::serialize(result) << '\n';
  } else if (command.method == "metrics.get") {
    std::cout << render_metrics(result);
  } else {
    std::cout << render_human(result);
  }
}

int run_call(const invocation& command) {
  auto connected = control::control_client::connect(command.socket_path);
  if (auto* failure = std::get_if<control::transport_failure>(&connected)) {
    return fail(exit_unreachable, failure->reason);
  }
  auto& client = std::get<control::control_client>(connected);
  auto answer =
      client.call(command.method, command.params, command.timeout.value_or(default_call_timeout));
  if (auto* failure = std::get_if<control::transport_failure>(&answer)) {
    return fail(exit_unreachable, failure->reason);
  }
  auto& response = std::get<control::rpc_response>(answer);
  if (response.error) return report_daemon_error(*response.error, command.json_output);
  print_result(command, *response.result);
  return exit_ok;
}

// The methods whose events go to the calling connection only: their topic,
// subscribed to on that connection before the call.
std::optional<std::string_view> own_event_topic(const std::string& method) {
  if (method == "sip.register") return "sip.message.received";
  if (method == "storage.watch") return "storage.changed";
  if (method == "sip.presence.watch") return "sip.presence";
  return std::nullopt;
}

// events.subscribe: streams the snapshot, then one JSON object per event,
// until interrupted. sip.register (messages) and storage.watch (watch):
// subscribe to their own topic on the same connection first, so the AOR is
// owned and its MESSAGEs printed as they arrive (the watched values' changes),
// for as long as this runs.
int run_stream(const invocation& command) {
  catch_interrupts();
  auto connected = control::control_client::connect(command.socket_path);
  if (auto* failure = std::get_if<control::transport_failure>(&connected)) {
    return fail(exit_unreachable, failure->reason);
  }
  auto& client = std::get<control::control_client>(connected);
  const auto print_event = [](const control::rpc_notification& notification) {
    std::cout << json::serialize(notification.params) << std::endl;
  };
  const auto timeout = command.timeout.value_or(default_call_timeout);
  if (const auto topic = own_event_topic(command.method)) {
    auto subscribed =
        client.call("events.subscribe", {{"topics", json::array{json::string(*topic)}}}, timeout);
    if (auto* failure = std::get_if<control::transport_failure>(&subscribed)) {
      return fail(exit_unreachable, failure->reason);
    }
    auto& response = std::get<control::rpc_response>(subscribed);
    if (response.error) return report_daemon_error(*response.error, command.json_output);
  }
  auto answer = client.call(command.method, command.params, timeout, print_event);
  if (auto* failure = std::get_if<control::transport_failure>(&answer)) {
    return interrupted ? exit_ok : fail(exit_unreachable, failure->reason);
  }
  auto& response = std::get<control::rpc_response>(answer);
  if (response.error) return report_daemon_error(*response.error, command.json_output);
  std::cout << json::serialize(*response.result) << std::endl;
  while (!interrupted) {
    auto line = client.read_line(1s);
    if (auto* failure = std::get_if<control::transport_failure>(&line)) {
      if (interrupted) break;
      if (failure->reason == "no answer within the timeout") continue;
      return fail(exit_unreachable, failure->reason);
    }
    auto message = control::parse_server_message(std::get<std::string>(line));
    if (auto* notification = std::get_if<control::rpc_notification>(&message)) {
      print_event(*notification);
    }
  }
  return exit_ok;
}

// enroll user=NAME without password=: asked for on the terminal, unechoed.
// False (with the reason on stderr) when it cannot be.
bool ask_password_if_missing(invocation& command) {
  if (command.method != "node.enroll" || !command.params.contains("user") ||
      command.params.contains("password") || command.params.contains("token")) {
    return true;
  }
  const auto password =
      prompt_password("password for " + std::string(command.params.at("user").as_string()) + ": ");
  if (!password || password->empty()) {
    std::cerr << "p2psipctl: enroll needs password=, or a terminal to ask for it on\n";
    return false;
  }
  command.params["password"] = *password;
  return true;
}

// Polls node.status until it says joined; a daemon still starting up is
// simply polled again.
int run_wait_joined(const invocation& command) {
  const auto timeout = command.timeout.value_or(default_wait_timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "no answer yet";
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    auto connected = control::control_client::connect(command.socket_path);
    if (auto* client = std::get_if<control::control_client>(&connected)) {
      auto answer = client->call("node.status", {}, std::min<std::chrono::milliseconds>(left, 5s));
      if (auto* response = std::get_if<control::rpc_response>(&answer)) {
        if (response->error) {
          last = "error: " + response->error->message;
        } else if (const json::value* state = response->result->if_contains("state");
                   state && state->is_string()) {
          if (state->as_string() == "joined") {
            if (command.json_output) {
              std::cout << json::serialize(*response->result) << '\n';
            } else {
              std::cout << "joined\n";
            }
            return exit_ok;
          }
          last = "state " + std::string(state->as_string());
        }
      } else {
        last = std::get<control::transport_failure>(answer).reason;
      }
    } else {
      last = std::get<control::transport_failure>(connected).reason;
    }
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        wait_poll_interval, std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::steady_clock::now())));
  }
  const double seconds = static_cast<double>(timeout.count()) / 1000.0;
  return fail(exit_daemon_error, "timed out after " + json::serialize(json::value(seconds)) +
                                     " s waiting for state joined (last: " + last + ")");
}

}  // namespace

int main(int argc, char** argv) {
  const control::schema_catalog catalog = control::standard_catalog();
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = parse_arguments(args, catalog, [](const char* name) { return std::getenv(name); });
  if (auto* error = std::get_if<usage_error>(&parsed)) {
    std::cerr << "p2psipctl: " << error->message << "\n(see p2psipctl --help)\n";
    return exit_usage;
  }
  auto& command = std::get<invocation>(parsed);
  // A terminal gets tables; a pipe or a file gets JSON.
  if (!isatty(STDOUT_FILENO)) command.json_output = true;

  switch (command.kind) {
    case command_kind::help:
      if (command.method.empty()) {
        std::cout << usage_text(catalog);
      } else if (const auto* schema = catalog.find(command.method)) {
        std::cout << method_help_text(*schema);
      } else {
        return fail(exit_usage, "unknown method " + command.method);
      }
      return exit_ok;
    case command_kind::version: std::cout << "p2psipctl " << P2PSIP_VERSION << '\n'; return exit_ok;
    case command_kind::completion: std::cout << render_bash_completion(catalog); return exit_ok;
    case command_kind::wait_joined: return run_wait_joined(command);
    case command_kind::call:
      if (!ask_password_if_missing(command)) return exit_usage;
      return command.method == "events.subscribe" || own_event_topic(command.method)
                 ? run_stream(command)
                 : run_call(command);
  }
  return exit_usage;
}
