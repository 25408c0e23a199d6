#include "nat/stun_port.hpp"

#include <stdexcept>

#include <boost/asio/buffer.hpp>
#include <openssl/rand.h>

namespace p2psip::nat {

namespace asio = boost::asio;

namespace {

// The largest datagram read whole: a STUN message over UDP stays under the
// path MTU (RFC 5389 §7.1), so anything longer is not ours.
constexpr std::size_t max_datagram = 1500;

transaction_id new_transaction_id() {
  transaction_id id{};
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) {
    throw std::runtime_error("stun_port: no randomness for a transaction id");
  }
  return id;
}

}  // namespace

stun_port::stun_port(asio::io_context& io, const endpoint& bind, stun_port_config config)
    : io_(io),
      socket_(io, bind),
      config_(std::move(config)),
      responder_(config_.binding),
      buffer_(max_datagram) {}

stun_port::~stun_port() { close(); }

void stun_port::start() { receive(); }

void stun_port::close() {
  *open_ = false;
  pending_.clear();  // their timers are cancelled as they are destroyed
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void stun_port::receive() {
  socket_.async_receive_from(
      asio::buffer(buffer_), source_,
      [this, open = open_](const boost::system::error_code& ec, std::size_t size) {
        if (!*open) return;
        // ICMP errors from earlier sends surface here on Linux: keep reading.
        if (!ec) on_datagram(size);
        // An ask() callback may have closed or destroyed the port.
        if (!*open || ec == asio::error::operation_aborted) return;
        receive();
      });
}

void stun_port::on_datagram(std::size_t size) {
  const bytes_view bytes(buffer_.data(), size);
  auto message = parse_stun(bytes);
  if (!message) {
    if (auto classic = respond_classic_binding(bytes, source_)) {
      ++counters_.answered;
      boost::system::error_code ignored;
      socket_.send_to(asio::buffer(*classic), source_, 0, ignored);
    } else {
      ++counters_.dropped;
    }
    return;
  }
  if (message->klass == stun_class::request) {
    auto answer = responder_.respond(*message, source_);
    if (!answer) {
      ++counters_.dropped;
      return;
    }
    if (message->method == stun_method::binding) ++counters_.answered;
    boost::system::error_code ignored;
    socket_.send_to(asio::buffer(*answer), source_, 0, ignored);
    return;
  }
  const auto pending = pending_.find(message->id);
  // Only the server asked may answer: anyone else could forge an address.
  if (message->method != stun_method::binding || pending == pending_.end() ||
      pending->second.server != source_) {
    ++counters_.dropped;
    return;
  }
  std::optional<endpoint> reflexive;
  if (message->klass == stun_class::success) {
    if (const auto* a = message->find(attribute::xor_mapped_address)) {
      if (auto address = read_xor_address(*a, message->id)) reflexive = *address;
    }
  }
  finish(message->id, reflexive);
}

void stun_port::ask(const endpoint& server, mapped_handler done) {
  ++counters_.asked;
  const auto id = new_transaction_id();
  stun_writer w(stun_class::request, stun_method::binding, id);
  w.add_fingerprint();
  auto& request = pending_[id];
  request.server = server;
  request.request = std::move(w).take();
  request.rto = config_.initial_rto;
  request.timer = std::make_unique<asio::steady_timer>(io_);
  request.done = std::move(done);
  transmit(id);
}

void stun_port::transmit(const transaction_id& id) {
  auto& request = pending_.at(id);
  boost::system::error_code ignored;
  socket_.send_to(asio::buffer(request.request), request.server, 0, ignored);
  ++request.sent;
  request.timer->expires_after(request.rto);
  request.rto *= 2;
  request.timer->async_wait([this, id, open = open_](const boost::system::error_code& ec) {
    if (ec || !*open) return;
    const auto request = pending_.find(id);
    if (request == pending_.end()) return;
    if (request->second.sent < config_.max_requests) {
      transmit(id);
    } else {
      finish(id, std::nullopt);
    }
  });
}

void stun_port::finish(const transaction_id& id, std::optional<endpoint> reflexive) {
  auto node = pending_.extract(id);
  if (node.empty()) return;
  if (reflexive) ++counters_.mapped;
  node.mapped().done(reflexive);
}

}  // namespace p2psip::nat
