// The control server over a real Unix socket in a temporary directory, with
// the test handler set: concurrency, every refusal path, back-pressure and
// late answers to clients that have gone.
#include <atomic>
#include <vector>

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/json_rpc.hpp"
#include "control_test_support.hpp"

using namespace p2psip::control;
using namespace p2psip::control::test;
namespace json = boost::json;

namespace {

rpc_response call(control_client& client, std::string_view method, json::object params = {}) {
  auto answer = client.call(method, std::move(params), 5s);
  if (auto* failure = std::get_if<transport_failure>(&answer)) FAIL(failure->reason);
  return std::get<rpc_response>(answer);
}

bool closed_by_server(control_client& client) {
  auto line = client.read_line(5s);
  return std::holds_alternative<transport_failure>(line) &&
         std::get<transport_failure>(line).reason == "the daemon closed the connection";
}

}  // namespace

TEST_CASE("the socket is created with mode 0660 and removed on close", "[server]") {
  std::string path;
  {
    test_server server;
    path = server.path;
    struct stat info {};
    REQUIRE(stat(path.c_str(), &info) == 0);
    CHECK(S_ISSOCK(info.st_mode));
    CHECK((info.st_mode & 07777) == 0660);
    // Unset socket_group means the socket file's group.
    CHECK(server.server->policy().read_group == info.st_gid);
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a stale socket file is replaced and a live one is refused", "[server]") {
  temp_dir dir;
  const std::string path = (dir.path() / "control.sock").string();
  {
    // A socket file nobody listens on, as a crashed daemon leaves behind.
    const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, path.size());
    REQUIRE(::bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    ::close(stale);
  }
  control_server_config config;
  config.socket_path = path;
  test_server first(config);
  auto client = first.connect();
  CHECK(call(client, "node.status").result);
  boost::asio::io_context io;
  event_bus events;
  CHECK_THROWS_AS(control_server(io, config, standard_catalog(), events), std::system_error);
  // The refused second server must not have removed the live socket.
  CHECK(call(client, "node.status").result);
}

TEST_CASE("a served method answers with a result object", "[server]") {
  test_server server;
  auto client = server.connect();
  auto status = call(client, "node.status");
  REQUIRE(status.result);
  CHECK(status.result->at("state") == json::value("joined"));

  auto put = call(client, "storage.put", {{"key", "alice"}, {"value", "hi"}, {"lifetime", 60}});
  REQUIRE(put.result);
  const auto& echo = put.result->at("echo").as_object();
  CHECK(echo.at("lifetime") == json::value(60));
  CHECK(echo.at("kind") == json::value("app-data"));
}

TEST_CASE("handler errors and refusals come back as JSON-RPC errors", "[server]") {
  test_server server;
  auto client = server.connect();

  auto not_found = call(client, "storage.get", {{"key", "bob"}});
  REQUIRE(not_found.error);
  CHECK(not_found.error->code == error_code::storage_not_found);
  CHECK(not_found.error->name == "not_found");

  auto unknown = call(client, "node.explode");
  REQUIRE(unknown.error);
  CHECK(unknown.error->code == error_code::method_not_found);
  CHECK(unknown.error->name == "method_not_found");

  auto bad_param = call(client, "storage.put", {{"key", "k"}, {"value", "v"}, {"ttl", 3}});
  REQUIRE(bad_param.error);
  CHECK(bad_param.error->code == error_code::invalid_params);
  CHECK(bad_param.error->name == "unknown_param");

  auto thrown_rpc = call(client, "node.leave");
  REQUIRE(thrown_rpc.error);
  CHECK(thrown_rpc.error->code == error_code::node_leaving);

  auto thrown_std = call(client, "config.reload");
  REQUIRE(thrown_std.error);
  CHECK(thrown_std.error->code == error_code::internal_error);
  CHECK(thrown_std.error->message == "configuration file vanished");

  auto dropped = call(client, "log.set_level", {{"level", "debug"}});
  REQUIRE(dropped.error);
  CHECK(dropped.error->name == "internal_error");

  auto unserved = call(client, "overlay.fingers");
  REQUIRE(unserved.error);
  CHECK(unserved.error->code == error_code::method_not_found);
  CHECK(unserved.error->name == "not_implemented");
}

TEST_CASE("rpc.help is served from the schemas", "[server]") {
  test_server server;
  auto client = server.connect();
  auto all = call(client, "rpc.help");
  REQUIRE(all.result);
  CHECK(all.result->at("methods").as_array().size() == standard_catalog().methods().size());
  auto one = call(client, "rpc.help", {{"method", "overlay.route"}});
  REQUIRE(one.result);
  CHECK(one.result->at("methods").at(0).at("name") == json::value("overlay.route"));
  auto unknown = call(client, "rpc.help", {{"method", "no.such"}});
  REQUIRE(unknown.error);
  CHECK(unknown.error->name == "unknown_method");
}

TEST_CASE("malformed lines are answered and the connection stays usable", "[server]") {
  test_server server;
  auto client = server.connect();
  REQUIRE_FALSE(client.send_line("{this is not json\n"));
  auto parse = read_json(client);
  CHECK(error_code_of(parse) == error_code::parse_error);
  CHECK(parse.at("id").is_null());

  REQUIRE_FALSE(client.send_line(R"({"jsonrpc":"2.0","id":5,"method":"node.status","params":[1]})"
                                 "\n"));
  auto positional = read_json(client);
  CHECK(positional.at("id") == json::value(5));
  CHECK(error_name(positional) == "positional_params");
  CHECK(error_code_of(positional) == error_code::invalid_params);

  REQUIRE_FALSE(client.send_line(R"({"jsonrpc":"2.0","method":"node.status"})"
                                 "\n"));
  CHECK(error_name(read_json(client)) == "missing_id");

  REQUIRE_FALSE(client.send_line(R"([{"jsonrpc":"2.0","id":1,"method":"node.status"}])"
                                 "\n"));
  CHECK(error_code_of(read_json(client)) == error_code::invalid_request);

  // Blank lines are not requests; CRLF endings are accepted.
  REQUIRE_FALSE(
      client.send_line("\n  \n"
                       R"({"jsonrpc":"2.0","id":6,"method":"node.status"})"
                       "\r\n"));
  auto status = read_json(client);
  CHECK(status.at("id") == json::value(6));
  CHECK(status.contains("result"));
}

TEST_CASE("an oversized line is answered, then the connection is closed", "[server]") {
  control_server_config config;
  config.max_line_bytes = 4096;
  test_server server(config);
  auto client = server.connect();
  // Bigger than the limit, with and without its newline arriving in time.
  for (const bool with_newline : {false, true}) {
    auto fresh = server.connect();
    std::string line(10000, 'x');
    if (with_newline) line += '\n';
    REQUIRE_FALSE(fresh.send_line(line));
    auto refusal = read_json(fresh);
    CHECK(error_name(refusal) == "request_too_large");
    CHECK(error_code_of(refusal) == error_code::invalid_request);
    CHECK(closed_by_server(fresh));
  }
  // Other connections are unaffected.
  CHECK(call(client, "node.status").result);
}

TEST_CASE("pipelined requests in one write are all answered in order", "[server]") {
  test_server server;
  auto client = server.connect();
  std::string batch;
  for (int id = 1; id <= 200; ++id) batch += encode_request(id, "node.status", {});
  REQUIRE_FALSE(client.send_line(batch));
  for (int id = 1; id <= 200; ++id) CHECK(read_json(client).at("id") == json::value(id));
}

TEST_CASE("a client that only closes its sending side still gets its answer", "[server]") {
  test_server server;
  auto client = server.connect();
  REQUIRE_FALSE(client.send_line(encode_request(1, "node.status", {})));
  ::shutdown(client.native_handle(), SHUT_WR);
  CHECK(read_json(client).contains("result"));
  CHECK(closed_by_server(client));
}

TEST_CASE("many concurrent clients are each answered correctly", "[server]") {
  test_server server;
  constexpr int clients = 16;
  constexpr int requests_each = 50;
  std::atomic<int> answered{0};
  std::atomic<int> mismatched{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto connected = control_client::connect(server.path);
      if (!std::holds_alternative<control_client>(connected)) return;
      auto& client = std::get<control_client>(connected);
      for (int i = 0; i < requests_each; ++i) {
        const std::string key = "k" + std::to_string(c) + "-" + std::to_string(i);
        auto answer = client.call("storage.put", {{"key", key}, {"value", "v"}}, 10s);
        auto* response = std::get_if<rpc_response>(&answer);
        if (response && response->result &&
            response->result->at("echo").at("key") == json::value(key)) {
          ++answered;
        } else {
          ++mismatched;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(answered == clients * requests_each);
  CHECK(mismatched == 0);
  CHECK(eventually(
      [&] { return server.on_loop([&] { return server.server->stats().connections; }) == 0; }));
}

TEST_CASE("an asynchronous answer after the client left is harmless", "[server]") {
  test_server server;
  {
    auto client = server.connect();
    REQUIRE_FALSE(client.send_line(encode_request(1, "overlay.route", {{"id", "alice"}})));
    REQUIRE(eventually(
        [&] { return server.on_loop([&] { return server.state.parked.size(); }) == 1; }));
  }  // the client disconnects with its request unanswered
  REQUIRE(eventually(
      [&] { return server.on_loop([&] { return server.server->stats().connections; }) == 0; }));
  const bool connected = server.on_loop([&] {
    const auto& parked = server.state.parked.front();
    const bool was_connected = parked.client_connected();
    parked.result({{"next_hop", "00"}});
    parked.error(make_error("timeout", "too late anyway"));
    return was_connected;
  });
  CHECK_FALSE(connected);
  server.on_loop([&] { server.state.parked.clear(); });
  auto next = server.connect();
  CHECK(call(next, "node.status").result);
}

TEST_CASE("an asynchronous answer reaches a client that waits, once", "[server]") {
  test_server server;
  auto client = server.connect();
  REQUIRE_FALSE(client.send_line(encode_request("route-1", "overlay.route", {{"id", "0a0b"}})));
  REQUIRE(
      eventually([&] { return server.on_loop([&] { return server.state.parked.size(); }) == 1; }));
  // Other requests on the same connection are not held up by the pending one.
  CHECK(call(client, "node.status").result);
  server.on_loop([&] {
    server.state.parked.front().result({{"next_hop", "0a"}});
    server.state.parked.front().result({{"next_hop", "second answer is ignored"}});
  });
  auto routed = read_json(client);
  CHECK(routed.at("id") == json::value("route-1"));
  CHECK(routed.at("result").at("next_hop") == json::value("0a"));
  server.on_loop([&] { server.state.parked.clear(); });
  CHECK(call(client, "node.status").result);  // nothing else was queued
}

TEST_CASE("a client that sends without reading stops being read", "[server]") {
  control_server_config config;
  config.max_requests_in_flight = 4;
  test_server server(config);
  auto client = server.connect();
  // overlay.route parks its responders, so none of these is answered.
  std::string burst;
  for (int id = 1; id <= 100; ++id) burst += encode_request(id, "overlay.route", {{"id", "aa"}});
  REQUIRE_FALSE(client.send_line(burst));
  REQUIRE(
      eventually([&] { return server.on_loop([&] { return server.state.parked.size(); }) == 4; }));
  std::this_thread::sleep_for(100ms);
  CHECK(server.on_loop([&] { return server.state.parked.size(); }) == 4);
  // Answering lets the server read on.
  server.on_loop([&] {
    for (auto& parked : server.state.parked) parked.result({});
    server.state.parked.clear();
  });
  REQUIRE(
      eventually([&] { return server.on_loop([&] { return server.state.parked.size(); }) == 4; }));
  for (int id = 1; id <= 4; ++id) CHECK(read_json(client).at("id") == json::value(id));
}

TEST_CASE("a listening descriptor is adopted as systemd passes it", "[server]") {
  temp_dir dir;
  const std::string path = (dir.path() / "activated.sock").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, path.size());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  control_server_config config;
  config.socket_path = path;
  {
    test_server server(config, fd);
    CHECK(server.server->socket_path() == path);
    auto client = server.connect();
    CHECK(call(client, "node.status").result);
  }
  // The socket belongs to systemd: the server leaves the file in place.
  CHECK(std::filesystem::exists(path));
}

namespace {

control_server_stats stats_of(test_server& server) {
  return server.on_loop([&] { return server.server->stats(); });
}

control_server_config with_connection_cap(std::size_t connections) {
  control_server_config config;
  config.max_connections = connections;
  return config;
}

// A client that subscribed to every topic, and a check that it still hears
// what is published.
control_client subscribed_client(test_server& server) {
  auto client = server.connect();
  REQUIRE(call(client, "events.subscribe").result);
  return client;
}

bool still_open(control_client& client) {
  auto line = client.read_line(100ms);
  return std::holds_alternative<transport_failure>(line) &&
         std::get<transport_failure>(line).reason == "no answer within the timeout";
}

bool still_hears_events(test_server& server, control_client& subscriber) {
  server.on_loop([&] { server.events.publish("peer.up", {{"node_id", "0b"}}); });
  return read_json(subscriber).at("params").at("topic") == json::value("peer.up");
}

}  // namespace

TEST_CASE("past the cap, new connections are refused clearly while every one is busy", "[limits]") {
  test_server server(with_connection_cap(4));
  auto subscriber = subscribed_client(server);
  std::vector<control_client> admitted;
  for (int i = 0; i < 3; ++i) {
    admitted.push_back(server.connect());
    REQUIRE(call(admitted.back(), "node.status").result);
  }

  constexpr int extra = 10;
  for (int i = 0; i < extra; ++i) {
    auto refused = server.connect();
    auto refusal = read_json(refused);
    CHECK(error_name(refusal) == "too_many_connections");
    CHECK(error_code_of(refusal) == error_code::server_limit);
    CHECK(refusal.at("error").at("data").at("limit") == json::value(4));
    CHECK(closed_by_server(refused));
  }
  // A client that sends at once learns why, whether or not its request got in first.
  auto late = server.connect();
  auto answer = late.call("node.status", {}, 5s);
  REQUIRE(std::holds_alternative<rpc_response>(answer));
  REQUIRE(std::get<rpc_response>(answer).error);
  CHECK(std::get<rpc_response>(answer).error->name == "too_many_connections");

  const auto stats = stats_of(server);
  CHECK(stats.connections == 4);
  CHECK(stats.refused_connections == extra + 1);

  for (auto& client : admitted) CHECK(call(client, "node.status").result);
  CHECK(still_hears_events(server, subscriber));

  // A slot that frees is taken by the next client.
  admitted.pop_back();
  REQUIRE(eventually([&] { return stats_of(server).connections == 3; }));
  auto next = server.connect();
  CHECK(call(next, "node.status").result);
}

TEST_CASE("past the cap, a new client replaces the one silent the longest", "[limits]") {
  test_server server(with_connection_cap(4));
  auto subscriber = subscribed_client(server);
  std::vector<control_client> silent;
  for (int i = 0; i < 3; ++i) {
    silent.push_back(server.connect());
    // In this order on the server too.
    REQUIRE(eventually([&] { return stats_of(server).connections == silent.size() + 1; }));
  }

  // Each newcomer is answered; the silent ones go, oldest first.
  std::vector<control_client> newcomers;
  for (std::size_t evicted = 1; evicted <= silent.size(); ++evicted) {
    newcomers.push_back(server.connect());
    CHECK(call(newcomers.back(), "node.status").result);
    auto& oldest = silent[evicted - 1];
    auto notice = read_json(oldest);
    CHECK(error_name(notice) == "too_many_connections");
    CHECK(notice.at("error").at("data").at("limit") == json::value(4));
    CHECK(closed_by_server(oldest));
    for (std::size_t younger = evicted; younger < silent.size(); ++younger) {
      CHECK(still_open(silent[younger]));
    }
  }
  const auto stats = stats_of(server);
  CHECK(stats.connections == 4);
  CHECK(stats.closed_silent_for_newer == silent.size());
  CHECK(stats.refused_connections == 0);
  CHECK(still_hears_events(server, subscriber));
}

TEST_CASE("an unfinished line over the line limit is refused, never held beyond it", "[limits]") {
  control_server_config config;
  config.max_line_bytes = 64 * 1024;
  test_server server(config);
  auto bystander = server.connect();
  auto client = server.connect();
  const std::string half(48 * 1024, 'x');
  REQUIRE_FALSE(client.send_line(half));
  REQUIRE(eventually([&] { return stats_of(server).buffered_bytes >= half.size(); }));
  // The second half takes the line past its limit while it is still open.
  REQUIRE_FALSE(client.send_line(half));
  auto refusal = read_json(client);
  CHECK(error_name(refusal) == "request_too_large");
  CHECK(refusal.at("error").at("data").at("limit") == json::value(64 * 1024));
  CHECK(closed_by_server(client));

  CHECK(eventually([&] { return stats_of(server).buffered_bytes == 0; }));
  CHECK(stats_of(server).buffered_bytes_high_water <= config.max_line_bytes + 1);
  CHECK(call(bystander, "node.status").result);
}

TEST_CASE("past the total buffer limit the connection holding the most is closed", "[limits]") {
  control_server_config config;
  config.max_line_bytes = 64 * 1024;
  config.max_buffered_bytes = 256 * 1024;
  test_server server(config);
  auto steady = server.connect();
  auto subscriber = subscribed_client(server);

  // Ten clients each hold an unfinished 60 KiB line: at most four fit.
  constexpr int hogs = 10;
  const std::string unfinished(60 * 1024, 'x');
  std::vector<control_client> holders;
  for (int i = 0; i < hogs; ++i) {
    holders.push_back(server.connect());
    (void)holders.back().send_line(unfinished);  // a closed one may refuse the write
  }
  REQUIRE(eventually([&] { return stats_of(server).closed_over_buffer_limit >= hogs - 4; }));

  int refused = 0;
  for (auto& holder : holders) {
    auto line = holder.read_line(200ms);
    if (auto* text = std::get_if<std::string>(&line)) {
      auto refusal = json::parse(*text).as_object();
      CHECK(error_name(refusal) == "buffer_limit");
      CHECK(refusal.at("error").at("data").at("limit") == json::value(256 * 1024));
      CHECK(closed_by_server(holder));
      ++refused;
    }
  }
  const auto stats = stats_of(server);
  CHECK(refused == static_cast<int>(stats.closed_over_buffer_limit));
  CHECK(stats.buffered_bytes <= config.max_buffered_bytes);
  CHECK(stats.buffered_bytes_high_water <= config.max_buffered_bytes);

  // The small clients were never the ones holding the most.
  CHECK(call(steady, "node.status").result);
  CHECK(still_hears_events(server, subscriber));
  holders.clear();
  CHECK(eventually([&] { return stats_of(server).buffered_bytes == 0; }));
}
