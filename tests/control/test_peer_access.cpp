// SO_PEERCRED decides what a caller may do. The policy is checked on made-up
// credentials; then, when the suite runs as root, forked children that drop
// to nobody (65534) with and without the socket's group show the real
// kernel path: non-members are refused, the group may read but not change.
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "control/json_rpc.hpp"
#include "control_test_support.hpp"

using namespace p2psip::control;
using namespace p2psip::control::test;
namespace json = boost::json;

namespace {

constexpr uid_t nobody = 65534;
constexpr gid_t nogroup = 65534;
constexpr gid_t socket_group = 4242;  // no such group on a test machine; numbers suffice
constexpr gid_t admin_group = 4343;

peer_credentials credentials(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  peer_credentials peer;
  peer.pid = 1;
  peer.uid = uid;
  peer.gid = gid;
  peer.supplementary_groups = std::move(groups);
  return peer;
}

struct child_outcome {
  int connect_errno = 0;
  std::vector<json::object> answers;
  bool closed_by_server = false;
};

// Reads one line from `fd` within five seconds, with plain system calls only.
bool read_line_raw(int fd, char* buffer, std::size_t capacity, std::size_t& length) {
  length = 0;
  while (length + 1 < capacity) {
    pollfd wait{fd, POLLIN, 0};
    if (::poll(&wait, 1, 5000) != 1) return false;
    const ssize_t got = ::read(fd, buffer + length, 1);
    if (got <= 0) return false;
    if (buffer[length++] == '\n') return true;
  }
  return false;
}

// Forks a child that becomes uid/gid with `groups`, connects to `path`, sends
// each request and waits for its answer, and reports back through a pipe.
child_outcome call_as(uid_t uid, gid_t gid, const std::vector<gid_t>& groups,
                      const std::string& path, const std::vector<std::string>& requests,
                      bool expect_close) {
  int report[2];
  REQUIRE(::pipe(report) == 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, path.size());
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: only system calls and buffers prepared before the fork.
    ::close(report[0]);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 ||
        ::setuid(uid) != 0) {
      ::_exit(10);
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      char note[32];
      const int length = std::snprintf(note, sizeof(note), "E%d\n", errno);
      (void)!::write(report[1], note, static_cast<std::size_t>(length));
      ::_exit(0);
    }
    static char line[65536];
    for (const auto& request : requests) {
      if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) ::_exit(11);
      std::size_t length = 0;
      if (!read_line_raw(fd, line, sizeof(line), length)) ::_exit(12);
      (void)!::write(report[1], line, length);
    }
    if (expect_close) {
      char byte;
      pollfd wait{fd, POLLIN, 0};
      if (::poll(&wait, 1, 5000) == 1 && ::read(fd, &byte, 1) == 0) {
        (void)!::write(report[1], "EOF\n", 4);
      }
    }
    ::_exit(0);
  }
  ::close(report[1]);
  std::string reported;
  char buffer[4096];
  for (;;) {
    pollfd wait{report[0], POLLIN, 0};
    if (::poll(&wait, 1, 15000) != 1) {
      ::kill(child, SIGKILL);
      break;
    }
    const ssize_t got = ::read(report[0], buffer, sizeof(buffer));
    if (got <= 0) break;
    reported.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  INFO("child report: " << reported);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  child_outcome outcome;
  std::size_t start = 0;
  while (start < reported.size()) {
    const std::size_t end = reported.find('\n', start);
    const std::string line = reported.substr(start, end - start);
    start = end + 1;
    if (line == "EOF") {
      outcome.closed_by_server = true;
    } else if (line[0] == 'E') {
      outcome.connect_errno = std::atoi(line.c_str() + 1);
    } else {
      outcome.answers.push_back(json::parse(line).as_object());
    }
  }
  return outcome;
}

const std::string status_request = encode_request(1, "node.status", {});
const std::string help_request = encode_request(2, "rpc.help", {{"method", "node.status"}});
const std::string put_request = encode_request(3, "storage.put", {{"key", "k"}, {"value", "v"}});

// A listening socket the test opens to everyone (0666), as a careless
// SocketMode= would, so that only the server's own check stands in the way.
int world_writable_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, path.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::chmod(path.c_str(), 0666) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  return fd;
}

}  // namespace

TEST_CASE("the policy: root and the daemon's uid do anything, the group only reads",
          "[permissions]") {
  access_policy policy;
  policy.daemon_uid = 1000;
  policy.read_group = socket_group;
  policy.admin_group = admin_group;
  const auto read = method_access::read_only;
  const auto change = method_access::state_changing;

  CHECK(policy.may_call(credentials(0, 0), change));
  CHECK(policy.may_call(credentials(1000, 1000), change));
  CHECK(policy.may_call(credentials(2000, socket_group), read));
  CHECK_FALSE(policy.may_call(credentials(2000, socket_group), change));
  CHECK(policy.may_call(credentials(2000, 2000, {7, socket_group}), read));
  CHECK_FALSE(policy.may_call(credentials(2000, 2000, {7, socket_group}), change));
  CHECK(policy.may_call(credentials(2000, 2000, {admin_group}), change));
  CHECK(policy.may_call(credentials(2000, admin_group), read));
  CHECK_FALSE(policy.may_connect(credentials(2000, 2000, {7})));

  access_policy no_groups;
  no_groups.daemon_uid = 1000;
  CHECK_FALSE(no_groups.may_connect(credentials(2000, 2000)));
  CHECK(no_groups.may_connect(credentials(1000, 2000)));
}

TEST_CASE("credentials of a connected peer come from the kernel", "[permissions]") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  const auto peer = read_peer_credentials(pair[0]);
  ::close(pair[0]);
  ::close(pair[1]);
  REQUIRE(peer);
  CHECK(peer->uid == ::geteuid());
  CHECK(peer->gid == ::getegid());
  CHECK(peer->pid == ::getpid());
  std::vector<gid_t> own(static_cast<std::size_t>(::getgroups(0, nullptr)));
  ::getgroups(static_cast<int>(own.size()), own.data());
  for (const gid_t group : own) CHECK(peer->in_group(group));
}

TEST_CASE("as nobody: the socket's group reads, but may not change state", "[permissions]") {
  if (::geteuid() != 0) {
    WARN("not root: the forked-child credential tests need setuid");
    return;
  }
  control_server_config config;
  config.socket_group = socket_group;
  test_server server(config);
  struct stat info {};
  REQUIRE(::stat(server.path.c_str(), &info) == 0);
  CHECK(info.st_gid == socket_group);

  SECTION("a supplementary member may call read-only methods only") {
    const auto outcome = call_as(nobody, nogroup, {socket_group}, server.path,
                                 {status_request, help_request, put_request}, false);
    REQUIRE(outcome.answers.size() == 3);
    CHECK(outcome.answers[0].at("result").at("state") == json::value("joined"));
    CHECK(outcome.answers[1].contains("result"));
    CHECK(error_name(outcome.answers[2]) == "permission_denied");
    CHECK(error_code_of(outcome.answers[2]) == error_code::permission_denied);
    CHECK(outcome.answers[2].at("id") == json::value(3));
  }
  SECTION("a primary-group member is a member too") {
    const auto outcome =
        call_as(nobody, socket_group, {}, server.path, {status_request, put_request}, false);
    REQUIRE(outcome.answers.size() == 2);
    CHECK(outcome.answers[0].contains("result"));
    CHECK(error_name(outcome.answers[1]) == "permission_denied");
  }
  SECTION("a non-member cannot even open the 0660 socket") {
    const auto outcome = call_as(nobody, nogroup, {}, server.path, {status_request}, false);
    CHECK(outcome.connect_errno == EACCES);
  }
}

TEST_CASE("as nobody: a non-member who gets through is refused with an error", "[permissions]") {
  if (::geteuid() != 0) {
    WARN("not root: the forked-child credential tests need setuid");
    return;
  }
  temp_dir dir;
  const std::string path = (dir.path() / "open.sock").string();
  control_server_config config;
  config.socket_path = path;
  config.socket_group = socket_group;
  config.admin_group = admin_group;
  test_server server(config, world_writable_socket(path));

  SECTION("a stranger gets permission_denied, then the connection closes") {
    const auto outcome = call_as(nobody, nogroup, {}, path, {status_request}, true);
    REQUIRE(outcome.answers.size() == 1);
    CHECK(error_name(outcome.answers[0]) == "permission_denied");
    CHECK(outcome.answers[0].at("id") == json::value(1));
    CHECK(outcome.closed_by_server);
  }
  SECTION("the admin group may change state") {
    const auto outcome =
        call_as(nobody, admin_group, {}, path, {put_request, status_request}, false);
    REQUIRE(outcome.answers.size() == 2);
    CHECK(outcome.answers[0].contains("result"));
    CHECK(outcome.answers[1].contains("result"));
  }
  SECTION("root may do anything") {
    auto client = server.connect();
    auto put = client.call("storage.put", {{"key", "k"}, {"value", "v"}}, 5s);
    REQUIRE(std::holds_alternative<rpc_response>(put));
    CHECK(std::get<rpc_response>(put).result);
  }
}
