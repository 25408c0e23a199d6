#include "control/control_client.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace p2psip::control {

namespace {
// A reply larger than this is not the daemon talking.
constexpr std::size_t max_reply_bytes = 64u << 20;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }
}  // namespace

std::variant<control_client, transport_failure> control_client::connect(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return transport_failure{"socket path too long or empty: " + path};
  }
  path.copy(address.sun_path, path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return transport_failure{errno_text("socket")};
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    transport_failure failure{"cannot connect to " + path + ": " + std::strerror(errno)};
    ::close(fd);
    return failure;
  }
  return control_client(fd);
}

control_client::control_client(control_client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      input_(std::move(other.input_)),
      next_id_(other.next_id_) {}

control_client& control_client::operator=(control_client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    input_ = std::move(other.input_);
    next_id_ = other.next_id_;
  }
  return *this;
}

control_client::~control_client() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<transport_failure> control_client::send_line(std::string_view line) {
  while (!line.empty()) {
    // MSG_NOSIGNAL: a daemon that went away is an error to report, not SIGPIPE.
    const ssize_t sent = ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return transport_failure{errno_text("send")};
    }
    line.remove_prefix(static_cast<std::size_t>(sent));
  }
  return std::nullopt;
}

std::variant<std::string, transport_failure> control_client::read_line(
    std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  for (;;) {
    if (const auto newline = input_.find('\n'); newline != std::string::npos) {
      std::string line = input_.substr(0, newline);
      input_.erase(0, newline + 1);
      return line;
    }
    if (input_.size() > max_reply_bytes) return transport_failure{"reply too large"};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) return transport_failure{"no answer within the timeout"};
    pollfd wait{fd_, POLLIN, 0};
    const int ready = ::poll(&wait, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (ready < 0) {
      if (errno == EINTR) return transport_failure{"interrupted"};
      return transport_failure{errno_text("poll")};
    }
    if (ready == 0) continue;
    char buffer[65536];
    const ssize_t received = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      return transport_failure{errno_text("recv")};
    }
    if (received == 0) return transport_failure{"the daemon closed the connection"};
    input_.append(buffer, static_cast<std::size_t>(received));
  }
}

std::variant<rpc_response, transport_failure> control_client::call(
    std::string_view method, boost::json::object params, std::chrono::milliseconds timeout,
    const std::function<void(const rpc_notification&)>& on_notification) {
  const std::int64_t id = next_id_++;
  const auto deadline = clock::now() + timeout;
  if (auto failure = send_line(encode_request(id, method, std::move(params)))) {
    // A server that refused the connection said why before closing it.
    auto reason = read_line(std::chrono::milliseconds(100));
    if (auto* line = std::get_if<std::string>(&reason)) {
      auto message = parse_server_message(*line);
      if (auto* refusal = std::get_if<rpc_response>(&message);
          refusal && refusal->error && refusal->id.is_null()) {
        return std::move(*refusal);
      }
    }
    return *failure;
  }
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    auto line = read_line(std::max(left, std::chrono::milliseconds(0)));
    if (auto* failure = std::get_if<transport_failure>(&line)) return *failure;
    auto message = parse_server_message(std::get<std::string>(line));
    if (auto* response = std::get_if<rpc_response>(&message)) {
      // An error with a null id answers a line the server could not read,
      // which here can only be ours.
      if ((response->id.is_int64() && response->id.as_int64() == id) ||
          (response->id.is_null() && response->error)) {
        return std::move(*response);
      }
    } else if (auto* notification = std::get_if<rpc_notification>(&message)) {
      if (on_notification) on_notification(*notification);
    } else {
      return transport_failure{"unreadable reply: " +
                               std::get<rejected_request>(message).error.message};
    }
  }
}

}  // namespace p2psip::control
