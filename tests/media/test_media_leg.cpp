// A phone-facing leg on real loopback sockets: the phone's RTP and RTCP
// reach the sink, invalid and foreign datagrams do not, send_to_phone goes
// back to where the phone sends from; ports come from a range and go back
// when the leg closes.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "media/media_leg.hpp"

using namespace p2psip::media;
using boost::asio::ip::udp;
using namespace std::chrono_literals;

namespace {

const auto loopback = boost::asio::ip::make_address("127.0.0.1");

template <typename Done>
bool run_until(boost::asio::io_context& io, Done done, std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

std::vector<std::uint8_t> rtp_packet(std::uint16_t seq) {
  std::vector<std::uint8_t> p = {0x80,
                                 0,
                                 static_cast<std::uint8_t>(seq >> 8),
                                 static_cast<std::uint8_t>(seq),
                                 0,
                                 0,
                                 0,
                                 160,
                                 1,
                                 2,
                                 3,
                                 4};
  p.resize(172, 0xFF);
  return p;
}

const std::vector<std::uint8_t> rtcp_packet = {0x80, 201, 0, 1, 1, 2, 3, 4};

// A softphone: one socket for RTP, one for RTCP on the port above.
struct phone {
  udp::socket rtp;
  udp::socket rtcp;
  explicit phone(boost::asio::io_context& io) : rtp(io, {loopback, 0}), rtcp(io, {loopback, 0}) {}

  // One datagram, or nothing within the limit.
  std::optional<std::vector<std::uint8_t>> read(boost::asio::io_context& io, udp::socket& s) {
    std::vector<std::uint8_t> buffer(2048);
    std::optional<std::vector<std::uint8_t>> got;
    udp::endpoint from;
    s.async_receive_from(boost::asio::buffer(buffer), from,
                         [&](const boost::system::error_code& ec, std::size_t n) {
                           if (!ec)
                             got.emplace(buffer.begin(), buffer.begin() + static_cast<long>(n));
                         });
    run_until(
        io, [&] { return got.has_value(); }, 1000ms);
    if (!got) s.cancel();
    io.restart();
    io.poll();
    return got;
  }
};

}  // namespace

TEST_CASE("loopback: the phone's packets reach the sink and the far side's reach the phone") {
  boost::asio::io_context io;
  std::vector<std::pair<packet_kind, std::vector<std::uint8_t>>> sunk;
  media_leg leg(io, loopback, [&](packet_kind kind, std::span<const std::uint8_t> p) {
    sunk.emplace_back(kind, std::vector<std::uint8_t>(p.begin(), p.end()));
  });
  CHECK(leg.port() % 2 == 0);
  CHECK(leg.rtp_endpoint().port() == leg.port());
  leg.start();
  const udp::endpoint leg_rtp(loopback, leg.port());
  const udp::endpoint leg_rtcp(loopback, static_cast<std::uint16_t>(leg.port() + 1));

  phone alice(io);
  // Before the phone sends: nowhere to send, then its SDP's address.
  leg.send_to_phone(packet_kind::rtp, rtp_packet(1));
  CHECK(leg.counters().unsent == 1);
  leg.expect_phone(loopback, alice.rtp.local_endpoint().port(), false);
  leg.send_to_phone(packet_kind::rtp, rtp_packet(2));
  auto got = alice.read(io, alice.rtp);
  REQUIRE(got);
  CHECK(*got == rtp_packet(2));

  // The phone sends from another socket than its SDP says: that one wins.
  udp::socket actual(io, {loopback, 0});
  actual.send_to(boost::asio::buffer(rtp_packet(10)), leg_rtp);
  alice.rtcp.send_to(boost::asio::buffer(rtcp_packet), leg_rtcp);
  REQUIRE(run_until(io, [&] { return sunk.size() == 2; }));
  CHECK(sunk[0].first == packet_kind::rtp);
  CHECK(sunk[0].second == rtp_packet(10));
  CHECK(sunk[1].first == packet_kind::rtcp);
  CHECK(leg.phone().latched());

  // Invalid and foreign datagrams are counted, not sunk.
  const std::vector<std::uint8_t> junk = {0x00, 0x01, 0x00, 0x00};
  actual.send_to(boost::asio::buffer(junk), leg_rtp);
  alice.rtp.send_to(boost::asio::buffer(rtp_packet(11)), leg_rtp);  // not the latched source
  actual.send_to(boost::asio::buffer(rtp_packet(12)), leg_rtcp);    // RTP on the RTCP port
  REQUIRE(run_until(io, [&] { return leg.counters().invalid + leg.counters().foreign == 3; }));
  CHECK(leg.counters().invalid == 2);
  CHECK(leg.counters().foreign == 1);
  CHECK(sunk.size() == 2);
  CHECK(leg.counters().rtp_in == 1);
  CHECK(leg.counters().rtcp_in == 1);

  // Back to the phone: RTP to where it sends from, RTCP to its RTCP source.
  leg.send_to_phone(packet_kind::rtp, rtp_packet(3));
  got = alice.read(io, actual);
  REQUIRE(got);
  CHECK(*got == rtp_packet(3));
  leg.send_to_phone(packet_kind::rtcp, rtcp_packet);
  got = alice.read(io, alice.rtcp);
  REQUIRE(got);
  CHECK(*got == rtcp_packet);
  CHECK(leg.counters().rtp_out == 2);
  CHECK(leg.counters().rtcp_out == 1);

  // Closed: nothing more reaches the sink.
  leg.close();
  actual.send_to(boost::asio::buffer(rtp_packet(13)), leg_rtp);
  io.restart();
  io.run_for(50ms);
  CHECK(sunk.size() == 2);
}

TEST_CASE("a sink may destroy its leg") {
  boost::asio::io_context io;
  std::optional<media_leg> leg;
  int calls = 0;
  leg.emplace(io, loopback, [&](packet_kind, std::span<const std::uint8_t>) {
    ++calls;
    leg.reset();
  });
  leg->start();
  udp::socket s(io, {loopback, 0});
  const udp::endpoint to(loopback, leg->port());
  s.send_to(boost::asio::buffer(rtp_packet(1)), to);
  s.send_to(boost::asio::buffer(rtp_packet(2)), to);
  REQUIRE(run_until(io, [&] { return !leg.has_value(); }));
  io.restart();
  io.run_for(50ms);
  CHECK(calls == 1);
}

TEST_CASE("ports from a range: taken while open, given back at close") {
  boost::asio::io_context io;
  // Find a free pair to make a one-pair range of.
  std::uint16_t base = 0;
  {
    media_leg probe(io, loopback, nullptr);
    base = probe.port();
  }
  port_range ports(base, static_cast<std::uint16_t>(base + 1));
  {
    media_leg first(io, loopback, ports, nullptr);
    CHECK(first.port() == base);
    CHECK(ports.available() == 0);
    CHECK_THROWS_AS(media_leg(io, loopback, ports, nullptr), boost::system::system_error);
    CHECK(ports.available() == 0);
  }
  CHECK(ports.available() == 1);
  media_leg again(io, loopback, ports, nullptr);
  CHECK(again.port() == base);
  again.close();
  again.close();
  CHECK(ports.available() == 1);

  // A pair someone else holds is skipped and given back.
  udp::socket squatter(io, {loopback, static_cast<std::uint16_t>(base + 1)});
  CHECK_THROWS_AS(media_leg(io, loopback, ports, nullptr), boost::system::system_error);
  CHECK(ports.available() == 1);
}
