// A blocking control-socket client for p2psipctl and tests: one connection,
// line-oriented, every wait bounded by a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>

#include "control/json_rpc.hpp"

namespace p2psip::control {

// Why a call got no answer: the daemon is unreachable, went away, or is mute.
struct transport_failure {
  std::string reason;
};

class control_client {
 public:
  using clock = std::chrono::steady_clock;

  // Connects to the socket at `path`.
  static std::variant<control_client, transport_failure> connect(const std::string& path);

  control_client(control_client&& other) noexcept;
  control_client& operator=(control_client&& other) noexcept;
  control_client(const control_client&) = delete;
  control_client& operator=(const control_client&) = delete;
  ~control_client();

  std::optional<transport_failure> send_line(std::string_view line);

  // The next line without its newline, or why there is none before `timeout`.
  std::variant<std::string, transport_failure> read_line(std::chrono::milliseconds timeout);

  // Sends a request and waits for its answer; notifications that arrive
  // first go to `on_notification` when given.
  std::variant<rpc_response, transport_failure> call(
      std::string_view method, boost::json::object params, std::chrono::milliseconds timeout,
      const std::function<void(const rpc_notification&)>& on_notification = {});

  int native_handle() const { return fd_; }

 private:
  explicit control_client(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string input_;
  std::int64_t next_id_ = 1;
};

}  // namespace p2psip::control
