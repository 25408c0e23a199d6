#include "media/pooled_agent.hpp"

namespace p2psip::media {

pooled_agent::pooled_agent(nat::glib_loop_thread& loop, boost::asio::any_io_executor executor,
                           nat::ice_agent_config config)
    : role_(config.role) {
  // The agent dies with this object and runs no handler after that: `this`
  // outlives every call below.
  nat::ice_agent_handlers h;
  h.gathered = [this](const nat::ice_description& local) {
    local_ = local;
    if (to_.gathered) to_.gathered();
  };
  h.ready = [this](const nat::ice_selected_pair& pair) {
    if (to_.ready) to_.ready(pair);
  };
  h.failed = [this](nat::ice_failure why) {
    if (!local_) failure_ = why;
    if (to_.failed) to_.failed(why);
  };
  h.datagram = [this](std::span<const std::uint8_t> datagram) {
    if (to_.datagram) to_.datagram(datagram);
  };
  agent_ =
      std::make_unique<nat::ice_agent>(loop, std::move(executor), std::move(config), std::move(h));
  agent_->gather();
}

void pooled_agent::redirect(reports to) {
  to_ = std::move(to);
  if (!gathering() && to_.gathered) to_.gathered();
}

}  // namespace p2psip::media
