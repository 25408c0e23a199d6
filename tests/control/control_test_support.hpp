// Shared by the control suites: a temporary directory, a control server on
// its own event-loop thread with a small set of test handlers, and bounded
// waits. Everything the server owns is touched on its loop thread only,
// through on_loop().
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <sys/stat.h>

#include "control/control_client.hpp"
#include "control/control_server.hpp"
#include "control/metrics_registry.hpp"
#include "control/standard_methods.hpp"

namespace p2psip::control::test {

using namespace std::chrono_literals;

class temp_dir {
 public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "p2psip-control-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    // Traversable by the unprivileged children of the permission tests.
    chmod(path_.c_str(), 0755);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// What the test handlers remember; touched on the loop thread only.
struct handler_state {
  std::string node_state = "joined";
  std::vector<responder> parked;  // overlay.route answers later, when a test says so
  metrics_registry metrics;
};

// node.status: the configured state. storage.put: echoes its parameters.
// storage.get: not_found. overlay.route: parks its responder. node.leave:
// throws rpc_error. config.reload: throws std::runtime_error. log.set_level:
// drops its responder unanswered. metrics.get: from handler_state::metrics.
inline void install_test_handlers(control_server& server, handler_state& state) {
  server.handle("node.status", [&state](const boost::json::object&, responder respond) {
    respond.result({{"node_id", "00ff"},
                    {"state", state.node_state},
                    {"overlay", "test"},
                    {"peers", 2},
                    {"uptime_s", 5}});
  });
  server.handle("storage.put", [](const boost::json::object& params, responder respond) {
    respond.result({{"echo", params}});
  });
  server.handle("storage.get", [](const boost::json::object& params, responder respond) {
    respond.error(make_error("not_found",
                             "nothing stored under " + std::string(params.at("key").as_string())));
  });
  server.handle("overlay.route", [&state](const boost::json::object&, responder respond) {
    state.parked.push_back(respond);
  });
  server.handle("node.leave", [](const boost::json::object&, responder) {
    throw make_error("leaving", "already leaving");
  });
  server.handle("config.reload", [](const boost::json::object&, responder) {
    throw std::runtime_error("configuration file vanished");
  });
  server.handle("log.set_level", [](const boost::json::object&, responder) {});
  server.handle("metrics.get", metrics_handler(state.metrics));
  server.set_snapshot_provider([&state](const std::vector<std::string>&) {
    return boost::json::object{{"state", state.node_state}};
  });
}

class test_server {
 public:
  // `listening_fd` adopts a socket instead of creating config.socket_path.
  explicit test_server(control_server_config config = {}, std::optional<int> listening_fd = {}) {
    if (config.socket_path.empty()) config.socket_path = (dir.path() / "control.sock").string();
    path = config.socket_path;
    if (listening_fd) {
      server =
          std::make_unique<control_server>(io, *listening_fd, config, standard_catalog(), events);
    } else {
      server = std::make_unique<control_server>(io, config, standard_catalog(), events);
    }
    install_test_handlers(*server, state);
    loop = std::thread([this] { io.run(); });
  }

  ~test_server() {
    on_loop([this] {
      state.parked.clear();
      server.reset();
    });
    work.reset();
    loop.join();
  }

  // Runs `task` on the loop thread and returns its result.
  template <class Task>
  auto on_loop(Task task) -> decltype(task()) {
    std::packaged_task<decltype(task())()> packaged(std::move(task));
    auto result = packaged.get_future();
    boost::asio::post(io, [&packaged] { packaged(); });
    if (result.wait_for(10s) != std::future_status::ready) {
      throw std::runtime_error("event loop did not run the task within 10 s");
    }
    return result.get();
  }

  control_client connect() const {
    auto connected = control_client::connect(path);
    if (auto* failure = std::get_if<transport_failure>(&connected)) {
      throw std::runtime_error(failure->reason);
    }
    return std::move(std::get<control_client>(connected));
  }

  temp_dir dir;
  std::string path;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(io);
  event_bus events;
  handler_state state;
  std::unique_ptr<control_server> server;
  std::thread loop;
};

// Reads one line and parses it as JSON; throws if none comes in time.
inline boost::json::object read_json(control_client& client,
                                     std::chrono::milliseconds timeout = 5s) {
  auto line = client.read_line(timeout);
  if (auto* failure = std::get_if<transport_failure>(&line))
    throw std::runtime_error(failure->reason);
  return boost::json::parse(std::get<std::string>(line)).as_object();
}

inline std::string error_name(const boost::json::object& message) {
  return std::string(message.at("error").at("data").at("name").as_string());
}

inline std::int64_t error_code_of(const boost::json::object& message) {
  return message.at("error").at("code").as_int64();
}

// Polls `done` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace p2psip::control::test
