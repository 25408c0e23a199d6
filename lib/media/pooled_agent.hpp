// An ICE agent gathered ahead of the call that will take it: gathering
// (host, server-reflexive, relayed through TURN) takes from milliseconds to
// the agent's gathering_limit, and the SDP that carries the candidates is
// written on the sip thread, which must not wait that long. The agent's
// reports land here and go on to whoever owns the agent by then.
//
// Thread: the executor's (the media thread); no report runs after the
// pooled_agent is destroyed (the agent's own guarantee).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "nat/ice_agent.hpp"

namespace p2psip::media {

class pooled_agent {
 public:
  using clock = std::chrono::steady_clock;
  struct reports {
    std::function<void()> gathered;  // local() is set, or failed() when gathering failed
    std::function<void(const nat::ice_selected_pair&)> ready;
    std::function<void(nat::ice_failure)> failed;
    std::function<void(std::span<const std::uint8_t>)> datagram;
  };

  // Starts gathering at once.
  pooled_agent(nat::glib_loop_thread& loop, boost::asio::any_io_executor executor,
               nat::ice_agent_config config);
  pooled_agent(const pooled_agent&) = delete;
  pooled_agent& operator=(const pooled_agent&) = delete;

  // Where the reports go from now on; a gathering that already ended is
  // reported again at once through the new `gathered`.
  void redirect(reports to);

  nat::ice_role role() const noexcept { return role_; }
  clock::time_point made() const noexcept { return made_; }
  const std::optional<nat::ice_description>& local() const noexcept { return local_; }
  bool gathering() const noexcept { return !local_ && !failure_; }
  const std::optional<nat::ice_failure>& failure() const noexcept { return failure_; }
  nat::ice_agent& agent() noexcept { return *agent_; }

 private:
  reports to_;
  nat::ice_role role_;
  clock::time_point made_ = clock::now();
  std::optional<nat::ice_description> local_;
  std::optional<nat::ice_failure> failure_;
  // Last: destroyed first, so that no report reaches the members above
  // while they go.
  std::unique_ptr<nat::ice_agent> agent_;
};

}  // namespace p2psip::media
