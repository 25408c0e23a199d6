#include "media/media_leg.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>

namespace p2psip::media {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

// The largest datagram read whole: RTP from a phone fits an Ethernet MTU;
// anything longer is cut and then fails the header checks or is garbled
// media, as it would be on the wire.
constexpr std::size_t max_datagram = 2048;
// Ephemeral pairs: the kernel's port is odd or its neighbour taken about
// half of the time each, so a few tries nearly always find one.
constexpr int ephemeral_tries = 32;

packet_kind valid_kind(std::span<const std::uint8_t> packet) {
  const auto kind = classify_packet(packet);
  if (kind == packet_kind::rtp && parse_rtp_header(packet)) return kind;
  if (kind == packet_kind::rtcp && is_valid_rtcp(packet)) return kind;
  return packet_kind::unknown;
}

}  // namespace

media_leg::media_leg(asio::io_context& io, packet_sink sink)
    : rtp_(io), rtcp_(io), sink_(std::move(sink)) {
  rtp_.buffer.resize(max_datagram);
  rtcp_.buffer.resize(max_datagram);
}

media_leg::media_leg(asio::io_context& io, const asio::ip::address& bind_address, packet_sink sink)
    : media_leg(io, std::move(sink)) {
  for (int i = 0; i < ephemeral_tries; ++i) {
    udp::socket probe(io, udp::endpoint(bind_address, 0));
    const auto port = probe.local_endpoint().port();
    probe.close();
    if (port % 2 == 0 && port < 65535 && bind_pair(bind_address, port)) return;
  }
  throw boost::system::system_error(asio::error::address_in_use, "media_leg: no ephemeral pair");
}

media_leg::media_leg(asio::io_context& io, const asio::ip::address& bind_address, port_range& ports,
                     packet_sink sink)
    : media_leg(io, std::move(sink)) {
  for (std::size_t i = 0; i < ports.capacity(); ++i) {
    const auto port = ports.acquire();
    if (!port) break;
    if (bind_pair(bind_address, *port)) {
      ports_ = &ports;
      return;
    }
    ports.release(*port);
  }
  throw boost::system::system_error(asio::error::address_in_use, "media_leg: port range full");
}

media_leg::~media_leg() { close(); }

bool media_leg::bind_pair(const asio::ip::address& address, std::uint16_t port) {
  boost::system::error_code ec;
  const auto protocol = address.is_v6() ? udp::v6() : udp::v4();
  rtp_.socket.open(protocol, ec);
  if (!ec) rtp_.socket.bind(udp::endpoint(address, port), ec);
  if (!ec) rtcp_.socket.open(protocol, ec);
  if (!ec) rtcp_.socket.bind(udp::endpoint(address, static_cast<std::uint16_t>(port + 1)), ec);
  // Sends never wait on the io thread: a full buffer drops, as UDP may.
  if (!ec) rtp_.socket.non_blocking(true, ec);
  if (!ec) rtcp_.socket.non_blocking(true, ec);
  if (ec) {
    boost::system::error_code ignored;
    rtp_.socket.close(ignored);
    rtcp_.socket.close(ignored);
    return false;
  }
  port_ = port;
  return true;
}

media_leg::endpoint media_leg::rtp_endpoint() const {
  boost::system::error_code ec;
  return rtp_.socket.local_endpoint(ec);
}

void media_leg::start() {
  receive(rtp_, false);
  receive(rtcp_, true);
}

void media_leg::expect_phone(const std::optional<asio::ip::address>& address, std::uint16_t port,
                             bool rtcp_mux) {
  phone_.expect(address, port, rtcp_mux);
}

void media_leg::receive(socket_side& side, bool rtcp_port) {
  side.socket.async_receive_from(asio::buffer(side.buffer), side.source,
                                 [this, &side, rtcp_port, open = open_](
                                     const boost::system::error_code& ec, std::size_t size) {
                                   if (!*open) return;
                                   // ICMP errors from earlier sends surface here on Linux: keep
                                   // reading.
                                   if (!ec) on_datagram(size, side, rtcp_port);
                                   // The sink may have closed or destroyed the leg.
                                   if (!*open || ec == asio::error::operation_aborted) return;
                                   receive(side, rtcp_port);
                                 });
}

void media_leg::on_datagram(std::size_t size, socket_side& side, bool rtcp_port) {
  const std::span<const std::uint8_t> packet(side.buffer.data(), size);
  const auto kind = valid_kind(packet);
  if (kind == packet_kind::unknown || (rtcp_port && kind != packet_kind::rtcp)) {
    ++counters_.invalid;
    return;
  }
  if (!phone_.accept(kind, side.source, rtcp_port)) {
    ++counters_.foreign;
    return;
  }
  ++(kind == packet_kind::rtp ? counters_.rtp_in : counters_.rtcp_in);
  if (sink_) sink_(kind, packet);
}

void media_leg::send_to_phone(packet_kind kind, std::span<const std::uint8_t> packet) {
  const bool rtcp = kind == packet_kind::rtcp;
  const auto destination = rtcp ? phone_.rtcp_destination() : phone_.rtp_destination();
  auto& socket = rtcp && !phone_.rtcp_mux() ? rtcp_.socket : rtp_.socket;
  if (!destination || !socket.is_open() || (kind != packet_kind::rtp && !rtcp)) {
    ++counters_.unsent;
    return;
  }
  boost::system::error_code ec;
  socket.send_to(asio::buffer(packet.data(), packet.size()), *destination, 0, ec);
  if (ec) {
    ++counters_.unsent;
    return;
  }
  ++(rtcp ? counters_.rtcp_out : counters_.rtp_out);
}

void media_leg::close() {
  *open_ = false;
  boost::system::error_code ignored;
  rtp_.socket.close(ignored);
  rtcp_.socket.close(ignored);
  if (ports_) {
    ports_->release(port_);
    ports_ = nullptr;
  }
}

}  // namespace p2psip::media
