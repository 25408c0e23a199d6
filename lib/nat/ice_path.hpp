// The datagram path a DTLS-UDP-SR link runs over once ICE has selected a
// pair (RFC 6940 §6.5.1.13): it owns the ice_agent, hands its datagrams to
// the link and the link's to it, and reports the pair's loss as the path's
// end. Datagrams the peer sends before this side starts the link (it may
// finish its checks first and open DTLS at once) are kept, a few, until
// start().
//
// Threading: the Asio thread of the agent's executor, like the link's.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "link/datagram_path.hpp"
#include "nat/ice_agent.hpp"

namespace p2psip::nat {

class ice_path final : public link::datagram_path {
 public:
  ice_path() = default;
  ~ice_path() override;

  // The agent whose selected pair this path uses; set once, before checks
  // can finish, so that early datagrams land here.
  void attach(std::unique_ptr<ice_agent> agent) { agent_ = std::move(agent); }
  ice_agent* agent() const noexcept { return agent_.get(); }
  // The agent's handlers call these.
  void on_ready(const ice_selected_pair& pair) { pair_ = pair; }
  void deliver(std::span<const std::uint8_t> datagram);
  void fail(const std::string& reason);

  const std::optional<ice_selected_pair>& pair() const noexcept { return pair_; }
  // Since when datagrams have gone out with none coming back (a live peer
  // ACKs every data frame at once); nullopt while it answers, and after a
  // lone datagram, which may be an ACK that wants no answer.
  std::optional<std::chrono::steady_clock::time_point> unanswered_since() const noexcept {
    return unanswered_sends_ > 1 ? unanswered_since_ : std::nullopt;
  }

  // --- link::datagram_path ---------------------------------------------------
  void start(link::datagram_handler& handler) override;
  void send(link::datagram_buffer datagram) override;
  // Within the IPv6 minimum MTU, less the TURN framing (a Send indication's
  // 36 bytes) on a relayed pair.
  std::size_t mtu() const override;
  void close() override;
  // RFC 7675: libnice checks the selected pair every 4-6 s and fails it
  // after 10 s without answers, which closes the link (fail()).
  bool checks_liveness() const noexcept override { return true; }

 private:
  std::unique_ptr<ice_agent> agent_;
  std::optional<ice_selected_pair> pair_;
  link::datagram_handler* handler_ = nullptr;
  std::deque<link::datagram_buffer> early_;  // before start()
  std::optional<std::string> failed_;        // before start()
  // The first datagram sent since the last one received, and how many.
  std::optional<std::chrono::steady_clock::time_point> unanswered_since_;
  std::size_t unanswered_sends_ = 0;
};

}  // namespace p2psip::nat
