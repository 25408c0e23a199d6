// stun_port on real loopback sockets: one port asks another for its
// reflexive address; a silent server costs exactly max_requests datagrams
// and a bounded wait; answers from anyone but the server asked are ignored;
// malformed input is dropped and the port keeps serving; close() drops
// pending questions without calling back.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "nat/stun_attributes.hpp"
#include "nat/stun_message.hpp"
#include "nat/stun_port.hpp"

using namespace p2psip::nat;
using boost::asio::ip::udp;
using namespace std::chrono_literals;

namespace {

const udp::endpoint any_loopback(boost::asio::ip::make_address("127.0.0.1"), 0);

// Runs `io` until `done` holds or `limit` passes; true if it held.
template <typename Done>
bool run_until(boost::asio::io_context& io, Done done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

// Reads one datagram from `socket` with a bound wait, or nothing.
std::optional<std::vector<std::uint8_t>> read_datagram(boost::asio::io_context& io,
                                                       udp::socket& socket, udp::endpoint& from) {
  std::vector<std::uint8_t> buffer(2048);
  std::optional<std::size_t> got;
  socket.async_receive_from(boost::asio::buffer(buffer), from,
                            [&](const boost::system::error_code& ec, std::size_t n) {
                              if (!ec) got = n;
                            });
  run_until(io, [&] { return got.has_value(); }, 3000ms);
  if (!got) {
    socket.cancel();
    io.restart();
    io.poll();
    return std::nullopt;
  }
  buffer.resize(*got);
  return buffer;
}

stun_port_config with_rto(std::chrono::milliseconds rto) {
  stun_port_config config;
  config.initial_rto = rto;
  return config;
}

// A port that asks, with its own RTO, a socket that may play the server,
// and what the last question's callback reported.
struct asker {
  explicit asker(std::chrono::milliseconds rto = 500ms)
      : asking(io, any_loopback, with_rto(rto)), server(io, any_loopback) {
    asking.start();
  }
  void ask(const udp::endpoint& at) {
    asking.ask(at, [this](std::optional<udp::endpoint> r) {
      called = true;
      reflexive = r;
    });
  }
  bool answered() { return run_until(io, [this] { return called; }); }

  boost::asio::io_context io;
  stun_port asking;
  udp::socket server;
  bool called = false;
  std::optional<udp::endpoint> reflexive;
};

}  // namespace

TEST_CASE("a stun_port learns its reflexive address from another") {
  asker a;
  stun_port serving(a.io, any_loopback);
  serving.start();
  a.ask(serving.local_endpoint());
  REQUIRE(a.answered());
  REQUIRE(a.reflexive);
  CHECK(*a.reflexive == a.asking.local_endpoint());
  CHECK(serving.counters().answered == 1);
  CHECK(a.asking.counters().mapped == 1);
}

TEST_CASE("a silent server costs max_requests datagrams, then nothing is reported") {
  asker a(50ms);
  const auto started = std::chrono::steady_clock::now();
  a.ask(a.server.local_endpoint());
  // 50 + 100 + 200 ms.
  REQUIRE(a.answered());
  CHECK_FALSE(a.reflexive);
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);
  int requests = 0;
  udp::endpoint from;
  while (requests < 10 && a.server.available() > 0 && read_datagram(a.io, a.server, from)) {
    ++requests;
  }
  CHECK(requests == 3);
  CHECK(a.asking.counters().mapped == 0);
}

TEST_CASE("only the server asked may answer") {
  asker a(300ms);
  udp::socket stranger(a.io, any_loopback);
  a.ask(a.server.local_endpoint());
  udp::endpoint from;
  const auto bytes = read_datagram(a.io, a.server, from);
  REQUIRE(bytes);
  const auto request = parse_stun(*bytes);
  REQUIRE(request);
  CHECK(request->method == stun_method::binding);
  // FINGERPRINT last (the parser has checked its value).
  REQUIRE(bytes->size() >= 28);
  CHECK((*bytes)[bytes->size() - 8] == 0x80);
  CHECK((*bytes)[bytes->size() - 7] == 0x28);
  // A forged answer naming another address, from a socket that was not asked.
  const udp::endpoint forged(boost::asio::ip::make_address("192.0.2.1"), 4242);
  stun_writer w(stun_class::success, stun_method::binding, request->id);
  add_xor_address(w, attribute::xor_mapped_address, forged, request->id);
  stranger.send_to(boost::asio::buffer(w.bytes()), from);
  run_until(a.io, [&] { return a.asking.counters().dropped == 1; }, 1000ms);
  CHECK(a.asking.counters().dropped == 1);
  CHECK_FALSE(a.called);
  // The true answer from the server asked.
  stun_writer answer(stun_class::success, stun_method::binding, request->id);
  add_xor_address(answer, attribute::xor_mapped_address, from, request->id);
  a.server.send_to(boost::asio::buffer(answer.bytes()), from);
  REQUIRE(a.answered());
  REQUIRE(a.reflexive);
  CHECK(*a.reflexive == a.asking.local_endpoint());
}

TEST_CASE("malformed input is dropped and the port keeps answering") {
  boost::asio::io_context io;
  stun_port serving(io, any_loopback);
  serving.start();
  udp::socket client(io, any_loopback);
  const std::vector<std::uint8_t> garbage{0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1, 2};
  client.send_to(boost::asio::buffer(garbage), serving.local_endpoint());
  REQUIRE(run_until(io, [&] { return serving.counters().dropped == 1; }));
  // A Send indication is not for a STUN server either.
  stun_writer indication(stun_class::indication, stun_method::send, transaction_id{1, 2, 3});
  client.send_to(boost::asio::buffer(indication.bytes()), serving.local_endpoint());
  REQUIRE(run_until(io, [&] { return serving.counters().dropped == 2; }));

  stun_writer binding(stun_class::request, stun_method::binding, transaction_id{9, 9, 9});
  client.send_to(boost::asio::buffer(binding.bytes()), serving.local_endpoint());
  udp::endpoint from;
  const auto bytes = read_datagram(io, client, from);
  REQUIRE(bytes);
  const auto answer = parse_stun(*bytes);
  REQUIRE(answer);
  CHECK(answer->klass == stun_class::success);
  const auto* mapped = answer->find(attribute::xor_mapped_address);
  REQUIRE(mapped);
  CHECK(*read_xor_address(*mapped, answer->id) == client.local_endpoint());
  CHECK(serving.counters().answered == 1);
}

TEST_CASE("close() drops pending questions without calling back") {
  asker a(20ms);
  a.ask(a.server.local_endpoint());
  a.asking.close();
  a.io.restart();
  a.io.run_for(300ms);
  CHECK_FALSE(a.called);
}
