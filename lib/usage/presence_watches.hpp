// The apps' buddy lists (sip.presence.watch, sip.presence.unwatch): which
// control connection watches which AOR, under which id. The front follows
// each AOR wherever it is registered (sip_front::follow_presence, polling
// at a bounded rate) and each change it hears goes to the watching
// connections only, as a sip.presence event carrying the watch's id.
//
// Bounds: at most max_presence_watches watches on a node, and the front
// follows at most sip::max_followed_aors distinct AORs. A watch ends with
// sip.presence.unwatch or when its connection closes; the front stops
// following an AOR with its last watcher.
//
// Threading: the daemon's io_context thread, like the control server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "control/control_server.hpp"
#include "sip/sip_front.hpp"

namespace p2psip::usage {

inline constexpr std::size_t max_presence_watches = 256;

class presence_watches {
 public:
  // What the front offers: follow_presence and unfollow_presence.
  using follower = std::function<void(const sip::presence_view& known, std::function<void(bool)>)>;
  using unfollower = std::function<void(const std::string& aor)>;
  presence_watches(follower follow, unfollower unfollow)
      : follow_(std::move(follow)), unfollow_(std::move(unfollow)) {}
  ~presence_watches() { *alive_ = false; }
  presence_watches(const presence_watches&) = delete;
  presence_watches& operator=(const presence_watches&) = delete;

  enum class refusal { none, too_many_watches, too_many_aors };
  // A watch of `known.aor` (normalized) for `client`, starting from what it
  // was just told; `done` gets its id, or why not.
  void add(const sip::presence_view& known, const control::client_handle& client,
           std::function<void(std::uint64_t id, refusal why)> done);
  // False when `client` has no watch `id`.
  bool remove(std::uint64_t id, const control::client_handle& client);
  // A followed AOR changed: a sip.presence event to each of its watchers.
  void changed(const sip::presence_view& view) const;
  std::size_t size() const { return watches_.size(); }

 private:
  struct watch {
    std::string aor;
    control::client_handle client;
  };
  void end(std::map<std::uint64_t, watch>::iterator it);

  follower follow_;
  unfollower unfollow_;
  std::map<std::uint64_t, watch> watches_;
  std::size_t pending_ = 0;  // adds waiting for the front
  std::uint64_t last_id_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::usage
