// Who is on the other end of a control connection, and what they may call.
// Credentials come from the kernel (SO_PEERCRED, SO_PEERGROUPS) as they were
// when the peer connected, so a caller cannot talk its way into a group.
#pragma once

#include <optional>
#include <vector>

#include <sys/types.h>

#include "control/method_schema.hpp"

namespace p2psip::control {

struct peer_credentials {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::vector<gid_t> supplementary_groups;

  bool in_group(gid_t group) const;
};

// Reads the peer of a connected Unix socket. Supplementary groups come from
// SO_PEERGROUPS, else /proc/PID/status, else the group database
// (getgrouplist). Returns nullopt when the kernel gives no credentials.
std::optional<peer_credentials> read_peer_credentials(int socket_fd);

struct access_policy {
  uid_t daemon_uid = 0;              // the daemon's own uid: full access
  std::optional<gid_t> read_group;   // the socket's group: read-only methods
  std::optional<gid_t> admin_group;  // also state-changing methods

  bool may_call(const peer_credentials& peer, method_access access) const;
  // False when the peer may call nothing at all.
  bool may_connect(const peer_credentials& peer) const;
};

}  // namespace p2psip::control
