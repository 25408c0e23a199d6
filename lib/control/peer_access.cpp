#include "control/peer_access.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace p2psip::control {

bool peer_credentials::in_group(gid_t group) const {
  return gid == group || std::find(supplementary_groups.begin(), supplementary_groups.end(),
                                   group) != supplementary_groups.end();
}

namespace {

std::optional<std::vector<gid_t>> groups_from_socket(int socket_fd) {
#ifdef SO_PEERGROUPS
  std::vector<gid_t> groups(16);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socklen_t length = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) == 0) {
      groups.resize(length / sizeof(gid_t));
      return groups;
    }
    // ERANGE reports the size needed in `length`.
    if (errno != ERANGE) return std::nullopt;
    groups.resize(length / sizeof(gid_t) + 1);
  }
#else
  (void)socket_fd;
#endif
  return std::nullopt;
}

std::optional<std::vector<gid_t>> groups_from_proc(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream numbers(line.substr(7));
    std::vector<gid_t> groups;
    for (unsigned long group; numbers >> group;) groups.push_back(static_cast<gid_t>(group));
    return groups;
  }
  return std::nullopt;
}

std::vector<gid_t> groups_from_database(uid_t uid, gid_t gid) {
  const passwd* user = getpwuid(uid);
  if (!user) return {};
  int count = 32;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  if (getgrouplist(user->pw_name, gid, groups.data(), &count) == -1) {
    groups.resize(static_cast<std::size_t>(count));
    if (getgrouplist(user->pw_name, gid, groups.data(), &count) == -1) return {};
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

}  // namespace

std::optional<peer_credentials> read_peer_credentials(int socket_fd) {
  ucred kernel_credentials{};
  socklen_t length = sizeof(kernel_credentials);
  if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &kernel_credentials, &length) != 0) {
    return std::nullopt;
  }
  peer_credentials peer;
  peer.pid = kernel_credentials.pid;
  peer.uid = kernel_credentials.uid;
  peer.gid = kernel_credentials.gid;
  if (auto groups = groups_from_socket(socket_fd)) {
    peer.supplementary_groups = std::move(*groups);
  } else if (auto proc_groups = groups_from_proc(peer.pid)) {
    peer.supplementary_groups = std::move(*proc_groups);
  } else {
    peer.supplementary_groups = groups_from_database(peer.uid, peer.gid);
  }
  return peer;
}

bool access_policy::may_call(const peer_credentials& peer, method_access access) const {
  if (peer.uid == 0 || peer.uid == daemon_uid) return true;
  if (admin_group && peer.in_group(*admin_group)) return true;
  return access == method_access::read_only && read_group && peer.in_group(*read_group);
}

bool access_policy::may_connect(const peer_credentials& peer) const {
  return may_call(peer, method_access::read_only);
}

}  // namespace p2psip::control
