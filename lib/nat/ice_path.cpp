#include "nat/ice_path.hpp"

namespace p2psip::nat {

namespace {

// A DTLS flight is a handful of datagrams; more before start() is not a
// handshake in progress.
constexpr std::size_t max_early_datagrams = 16;
// A TURN Send indication around the datagram: header, XOR-PEER-ADDRESS
// (IPv6) and DATA's header. ChannelData needs only 4.
constexpr std::size_t turn_overhead = 20 + 24 + 4;

}  // namespace

ice_path::~ice_path() { close(); }

void ice_path::deliver(std::span<const std::uint8_t> datagram) {
  unanswered_since_.reset();
  unanswered_sends_ = 0;
  if (handler_) {
    handler_->on_datagram(wire::bytes_view(datagram.data(), datagram.size()));
  } else if (early_.size() < max_early_datagrams && !failed_) {
    early_.emplace_back(datagram.begin(), datagram.end());
  }
}

void ice_path::fail(const std::string& reason) {
  if (handler_) {
    auto* handler = std::exchange(handler_, nullptr);
    handler->on_path_closed(reason);
  } else if (!failed_) {
    failed_ = reason;
  }
}

void ice_path::start(link::datagram_handler& handler) {
  handler_ = &handler;
  // The link may close (and destroy this path) from inside a delivery.
  while (!early_.empty() && handler_) {
    const auto datagram = std::move(early_.front());
    early_.pop_front();
    handler_->on_datagram(wire::bytes_view(datagram.data(), datagram.size()));
  }
  if (failed_ && handler_) fail(*std::exchange(failed_, std::nullopt));
}

void ice_path::send(link::datagram_buffer datagram) {
  if (unanswered_sends_++ == 0) unanswered_since_ = std::chrono::steady_clock::now();
  if (agent_) agent_->send(datagram);
}

std::size_t ice_path::mtu() const {
  const bool relayed = pair_ && pair_->local.type == ice_candidate_type::relay;
  return link::safe_udp_payload - (relayed ? turn_overhead : 0);
}

void ice_path::close() {
  handler_ = nullptr;
  early_.clear();
  // Closing releases the TURN allocation on the loop thread, asynchronously.
  if (agent_) agent_->close();
}

}  // namespace p2psip::nat
