// Counters and gauges with labels, as JSON and as Prometheus text, and
// metrics.get over the control socket.
#include <thread>

#include <catch2/catch.hpp>

#include "control_test_support.hpp"

using namespace p2psip::control;
using namespace p2psip::control::test;
namespace json = boost::json;

TEST_CASE("the same name and labels give the same metric", "[metrics]") {
  metrics_registry registry;
  auto& stores =
      registry.counter("reload_messages_total", "RELOAD messages", {{"type", "store_req"}});
  auto& fetches =
      registry.counter("reload_messages_total", "RELOAD messages", {{"type", "fetch_req"}});
  CHECK(&stores == &registry.counter("reload_messages_total", "", {{"type", "store_req"}}));
  CHECK(&stores != &fetches);
  stores.increment();
  stores.increment(2);
  CHECK(stores.value() == 3);
  auto& peers = registry.gauge("overlay_peers", "connected peers");
  peers.set(4);
  peers.add(-1.5);
  CHECK(peers.value() == 2.5);
}

TEST_CASE("invalid names and type clashes are refused", "[metrics]") {
  metrics_registry registry;
  CHECK_THROWS_AS(registry.counter("9lives", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("has-dash", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "h", {{"bad-label", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "h", {{"__reserved", "x"}}), std::invalid_argument);
  registry.counter("ok_total", "h");
  CHECK_THROWS_AS(registry.gauge("ok_total", "h"), std::invalid_argument);
  CHECK(is_valid_metric_name("p2psip:ns_total"));
  CHECK_FALSE(is_valid_label_name("a:b"));
}

TEST_CASE("metrics render as JSON", "[metrics]") {
  metrics_registry registry;
  registry.counter("reload_messages_total", "RELOAD messages", {{"type", "store_req"}})
      .increment(5);
  registry.gauge("overlay_peers", "connected peers").set(3);
  const auto out = registry.to_json();
  const auto& messages = out.at("reload_messages_total").as_object();
  CHECK(messages.at("type") == json::value("counter"));
  CHECK(messages.at("help") == json::value("RELOAD messages"));
  CHECK(messages.at("samples").at(0).at("labels").at("type") == json::value("store_req"));
  CHECK(messages.at("samples").at(0).at("value") == json::value(5u));
  CHECK(out.at("overlay_peers").at("type") == json::value("gauge"));
  CHECK(out.at("overlay_peers").at("samples").at(0).at("value") == json::value(3.0));
}

TEST_CASE("metrics render in the Prometheus text format", "[metrics]") {
  metrics_registry registry;
  registry.counter("reload_messages_total", "RELOAD messages\nby type", {{"type", "store_req"}})
      .increment(5);
  registry.counter("reload_messages_total", "", {{"type", "fetch_req"}}).increment();
  registry.gauge("overlay_peers", "connected peers").set(2.5);
  registry.gauge("odd_labels", "escaping", {{"path", "a\\b\"c\nd"}}).set(1);
  CHECK(registry.to_prometheus() ==
        "# HELP odd_labels escaping\n"
        "# TYPE odd_labels gauge\n"
        "odd_labels{path=\"a\\\\b\\\"c\\nd\"} 1\n"
        "# HELP overlay_peers connected peers\n"
        "# TYPE overlay_peers gauge\n"
        "overlay_peers 2.5\n"
        "# HELP reload_messages_total RELOAD messages\\nby type\n"
        "# TYPE reload_messages_total counter\n"
        "reload_messages_total{type=\"fetch_req\"} 1\n"
        "reload_messages_total{type=\"store_req\"} 5\n");
}

TEST_CASE("counters may be bumped from several threads", "[metrics]") {
  metrics_registry registry;
  auto& hits = registry.counter("hits_total", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) hits.increment();
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(hits.value() == 40000);
}

TEST_CASE("metrics.get serves JSON or Prometheus text", "[metrics]") {
  test_server server;
  server.on_loop([&] { server.state.metrics.counter("control_test_total", "t").increment(7); });
  auto client = server.connect();
  auto as_json = client.call("metrics.get", {}, 5s);
  REQUIRE(std::holds_alternative<rpc_response>(as_json));
  const auto& json_result = *std::get<rpc_response>(as_json).result;
  CHECK(json_result.at("metrics").at("control_test_total").at("samples").at(0).at("value") ==
        json::value(7u));
  auto as_text = client.call("metrics.get", {{"format", "prometheus"}}, 5s);
  REQUIRE(std::holds_alternative<rpc_response>(as_text));
  CHECK(std::get<rpc_response>(as_text).result->at("text") ==
        json::value("# HELP control_test_total t\n# TYPE control_test_total "
                    "counter\ncontrol_test_total 7\n"));
}
