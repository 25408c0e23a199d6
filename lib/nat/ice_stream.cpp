#include "nat/ice_stream.hpp"

#include <utility>

namespace p2psip::nat {

namespace {

// A TLS handshake's first flights; a peer that sends more before this side
// has started reading is not running one.
constexpr std::size_t max_early_bytes = std::size_t{64} * 1024;
// Several round trips on any path a call would be set up over.
constexpr std::chrono::milliseconds graceful_linger{500};

}  // namespace

std::shared_ptr<ice_stream> ice_stream::open(glib_loop_thread& loop,
                                             boost::asio::any_io_executor executor,
                                             ice_agent_config config,
                                             ice_stream_handlers handlers) {
  std::shared_ptr<ice_stream> stream(new ice_stream(std::move(handlers)));
  config.reliable = true;
  std::weak_ptr<ice_stream> weak = stream;
  ice_agent_handlers h;
  h.gathered = [weak](const ice_description& local) {
    auto self = weak.lock();
    if (self && self->handlers_.gathered) std::exchange(self->handlers_.gathered, nullptr)(&local);
  };
  h.ready = [weak](const ice_selected_pair& pair) {
    auto self = weak.lock();
    if (!self) return;
    self->pair_ = pair;
    self->handlers_.failed = nullptr;
    if (self->handlers_.connected) std::exchange(self->handlers_.connected, nullptr)(pair);
  };
  h.failed = [weak](ice_failure why) {
    if (auto self = weak.lock()) self->on_failed(std::string("ICE: ") + to_string(why));
  };
  h.datagram = [weak](std::span<const std::uint8_t> bytes) {
    if (auto self = weak.lock()) self->on_bytes(bytes);
  };
  h.written = [weak](std::size_t bytes) {
    auto self = weak.lock();
    if (!self) return;
    self->queued_ -= std::min(self->queued_, bytes);
    if (self->handler_ && self->queued_ == 0) self->handler_->on_stream_drained();
  };
  stream->agent_ = std::make_unique<ice_agent>(loop, std::move(executor), std::move(config),
                                               std::move(h));
  stream->agent_->gather();
  return stream;
}

ice_stream::~ice_stream() {
  if (agent_) agent_->close();
}

void ice_stream::set_remote(const ice_description& remote) {
  if (agent_ && !closed_) agent_->set_remote(remote);
}

void ice_stream::on_bytes(std::span<const std::uint8_t> bytes) {
  if (closed_) return;
  if (handler_) {
    handler_->on_stream_data(wire::bytes_view(bytes.data(), bytes.size()));
    return;
  }
  if (early_.size() + bytes.size() > max_early_bytes) {
    on_failed("more than " + std::to_string(max_early_bytes) + " bytes before the stream started");
    return;
  }
  early_.insert(early_.end(), bytes.begin(), bytes.end());
}

void ice_stream::on_failed(const std::string& why) {
  if (closed_) return;
  // Before the pair: the negotiation failed (gathering, checks, time).
  if (handlers_.gathered) std::exchange(handlers_.gathered, nullptr)(nullptr);
  if (handlers_.failed) {
    handlers_.connected = nullptr;
    std::exchange(handlers_.failed, nullptr)(why);
    return;
  }
  // After it: the path is gone, and the stream with it.
  if (auto* handler = std::exchange(handler_, nullptr)) {
    closed_ = true;
    if (agent_) agent_->close();
    handler->on_stream_closed(why);
  } else if (!ended_) {
    ended_ = why;
  }
}

void ice_stream::start(link::byte_stream_handler& handler) {
  if (closed_) return;
  handler_ = &handler;
  auto keep = shared_from_this();
  if (!early_.empty()) {
    const auto early = std::exchange(early_, {});
    handler.on_stream_data(wire::bytes_view(early.data(), early.size()));
  }
  if (ended_ && handler_) on_failed(*std::exchange(ended_, std::nullopt));
}

void ice_stream::write(std::vector<std::uint8_t> bytes) {
  if (closed_ || !agent_ || bytes.empty()) return;
  queued_ += bytes.size();
  agent_->send(bytes);
}

void ice_stream::close(link::close_mode mode) {
  if (closed_) return;
  closed_ = true;
  handler_ = nullptr;
  handlers_ = {};
  // Graceful: what write() queued (a TLS close_notify, say) still reaches
  // the peer before the agent closes; PseudoTCP has no other end to wait for.
  if (agent_) agent_->close({}, mode == link::close_mode::graceful ? graceful_linger
                                                                    : std::chrono::milliseconds{});
}

}  // namespace p2psip::nat
