// ice_streams gathered ahead for an AppAttach's application (the SIP
// channel): RELOAD's Attach has no trickle, so an AppAttach, and its answer,
// can only go out once gathering has ended (host, server-reflexive and
// relayed candidates: tens of milliseconds behind a NAT, more with TURN).
// With a stream taken from here both go out at once.
//
// One pool per ICE role: libnice 0.1.21 applies a role set after gathering
// only at an ICE restart (`controlling-mode` is deferred once the component
// left DISCONNECTED), so a stream's role is chosen when it is made.
// A pooled stream asks TURN at one relay server (the controlling pool at the
// first, the controlled one at the next): each allocation counts in the
// relay's per-user quota with those of the links and the media pool.
// It is used only while the configuration it was gathered with still gives
// the same servers (same_servers), and, when it asked TURN, only if it got a
// relayed candidate (a refused allocation leaves no server-reflexive one
// either); one holding a relayed
// candidate only while younger than `relayed_max_age`: its TURN allocation
// is bound to a NAT mapping nothing refreshes while the stream is idle, and
// a symmetric NAT maps a new port once that mapping expired (Linux conntrack
// keeps a short UDP exchange 30 s). Streams without TURN keep their
// server-reflexive mapping alive (libnice's STUN keepalive, every 25 s).
//
// Threading: the executor's thread, like the streams' handlers; the
// glib_loop_thread must outlive the pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "nat/ice_stream.hpp"

namespace p2psip::nat {

struct ice_stream_pool_config {
  // Streams kept gathered per ICE role; each holds a TURN allocation at one
  // relay (per transport its configuration names).
  std::size_t per_role = 1;
  std::chrono::milliseconds relayed_max_age{25'000};
};

struct ice_stream_pool_counters {
  std::uint64_t taken = 0;   // a pooled stream served an open
  std::uint64_t missed = 0;  // none was fit: gathered on the spot
  std::uint64_t made = 0;    // streams gathered ahead
};

class ice_stream_pool {
 public:
  // `config` gives the agent configuration for a role now (the servers of
  // the moment).
  ice_stream_pool(glib_loop_thread& loop, boost::asio::any_io_executor executor,
                  std::function<ice_agent_config(ice_role)> config,
                  ice_stream_pool_config limits = {});
  // Closes the pooled streams (their TURN allocations are released).
  ~ice_stream_pool();
  ice_stream_pool(const ice_stream_pool&) = delete;
  ice_stream_pool& operator=(const ice_stream_pool&) = delete;

  // A stream with `role` and `handlers`, as ice_stream::open gives: a pooled
  // one when one fits (a gathered one first), else a new one. Not refilled
  // here, so that the call's checks do not share the loop thread with a
  // gathering: refresh() does it.
  std::shared_ptr<ice_stream> take(ice_role role, ice_stream_handlers handlers);
  // Drops the streams that no longer fit and gathers up to `per_role` again.
  void refresh();

  const ice_stream_pool_counters& counters() const noexcept { return counters_; }
  std::size_t pooled() const noexcept { return pooled_.size(); }

 private:
  struct entry {
    ice_agent_config config;
    std::shared_ptr<ice_stream> stream;
  };
  bool fits(const entry& e, const ice_agent_config& now) const;

  glib_loop_thread& loop_;
  const boost::asio::any_io_executor executor_;
  const std::function<ice_agent_config(ice_role)> config_;
  const ice_stream_pool_config limits_;
  std::vector<entry> pooled_;
  ice_stream_pool_counters counters_;
};

}  // namespace p2psip::nat
