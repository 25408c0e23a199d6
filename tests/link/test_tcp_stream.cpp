// tcp_stream's ways of ending, seen from a plain socket at the other end:
// graceful writes what is queued then sends FIN (end of file); reset writes
// what is queued then sends RST (an error), which is how the SIP channel
// tells nta that the far side of a spliced stream broke.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
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

// What the client read before its read ended, and how it ended.
struct client_view {
  std::string data;
  boost::system::error_code end;
};

client_view close_and_read(link::close_mode mode) {
  asio::io_context io;
  ignoring_handler handler;
  std::shared_ptr<link::tcp_stream> server;
  auto listener = link::tcp_listener::open(
      io, link::test::loopback, std::chrono::milliseconds(200),
      [&](std::shared_ptr<link::tcp_stream> s) { server = std::move(s); },
      [](const std::string&) {});
  tcp::socket client(io);
  client.connect(listener->local_endpoint());
  REQUIRE(link::test::run_until(io, [&] { return server != nullptr; }));
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
