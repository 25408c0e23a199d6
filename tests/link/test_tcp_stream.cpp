// tcp_stream's ways of ending, seen from a plain socket at the other end:
// graceful writes what is queued then sends FIN (end of file); reset writes
// what is queued then sends RST (an error), which is how the SIP channel
// tells nta that the far side of a spliced stream broke. detach() hands a
// stream to another handler without losing or repeating a byte (the SIP
// channel moves nta's connection to a fresh stream that way).
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "link/tcp_transport.hpp"
#include "test_loopback.hpp"

using namespace p2psip;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct ignoring_handler final : link::byte_stream_handler {
  void on_stream_data(wire::bytes_view) override {}
  void on_stream_drained() override {}
  void on_stream_closed(std::string_view) override {}
};

struct recording_handler final : link::byte_stream_handler {
  void on_stream_data(wire::bytes_view data) override {
    got.append(data.begin(), data.end());
    if (on_data) on_data();
  }
  void on_stream_drained() override {}
  void on_stream_closed(std::string_view) override { closed = true; }
  std::string got;
  bool closed = false;
  std::function<void()> on_data;
};

// `client` connected to a new loopback listener, and the server's stream.
std::pair<std::shared_ptr<link::tcp_listener>, std::shared_ptr<link::tcp_stream>> accept_one(
    asio::io_context& io, tcp::socket& client) {
  std::shared_ptr<link::tcp_stream> server;
  auto listener = link::tcp_listener::open(
      io, link::test::loopback, std::chrono::milliseconds(200),
      [&](std::shared_ptr<link::tcp_stream> s) { server = std::move(s); },
      [](const std::string&) {});
  client.connect(listener->local_endpoint());
  REQUIRE(link::test::run_until(io, [&] { return server != nullptr; }));
  return {listener, server};
}

// What the client read before its read ended, and how it ended.
struct client_view {
  std::string data;
  boost::system::error_code end;
};

client_view close_and_read(link::close_mode mode) {
  asio::io_context io;
  ignoring_handler handler;
  tcp::socket client(io);
  auto [listener, server] = accept_one(io, client);
  server->start(handler);
  // Queued, not yet written when close() is called; small enough that the
  // kernel delivers it at once over loopback (a reset drops what it has not).
  const std::string last_words(4096, 'x');
  server->write(std::vector<std::uint8_t>(last_words.begin(), last_words.end()));
  server->close(mode);

  client_view view;
  std::vector<char> buffer(64 * 1024);
  bool ended = false;
  std::function<void()> read_next = [&] {
    client.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, std::size_t n) {
      view.data.append(buffer.data(), n);
      if (ec) {
        view.end = ec;
        ended = true;
        return;
      }
      read_next();
    });
  };
  read_next();
  REQUIRE(link::test::run_until(io, [&] { return ended; }));
  CHECK(view.data == last_words);
  listener->close();
  return view;
}

}  // namespace

TEST_CASE("a graceful close delivers what is queued, then end of file") {
  CHECK(close_and_read(link::close_mode::graceful).end == asio::error::eof);
}

TEST_CASE("a reset close delivers what is queued, then a connection reset") {
  CHECK(close_and_read(link::close_mode::reset).end == asio::error::connection_reset);
}

TEST_CASE("detach() hands the stream to another handler, every byte once") {
  asio::io_context io;
  tcp::socket client(io);
  auto [listener, server] = accept_one(io, client);
  recording_handler first, second;
  server->start(first);
  asio::write(client, asio::buffer(std::string("one")));
  REQUIRE(link::test::run_until(io, [&] { return first.got == "one"; }));

  SECTION("detached while a read waits, started again later") {
    server->detach();
    asio::write(client, asio::buffer(std::string("two")));
    io.poll();
    io.restart();
    CHECK(first.got == "one");  // nobody reads while detached
    server->start(second);
  }
  SECTION("detached and started again from inside the handler") {
    first.on_data = [&] {
      server->detach();
      server->start(second);
    };
    asio::write(client, asio::buffer(std::string("two")));
    REQUIRE(link::test::run_until(io, [&] { return first.got == "onetwo"; }));
    first.on_data = nullptr;
  }
  asio::write(client, asio::buffer(std::string("three")));
  REQUIRE(link::test::run_until(io, [&] { return second.got.ends_with("three"); }));
  CHECK((second.got == "twothree" || second.got == "three"));
  CHECK(first.got + second.got == "onetwothree");
  client.close();
  REQUIRE(link::test::run_until(io, [&] { return second.closed; }));
  CHECK_FALSE(first.closed);
  server->close(link::close_mode::abort);
  listener->close();
}
