// Daemon events fan out to subscribers (the control server's
// events.subscribe streams, and anything else in the daemon that wants them).
// Single-threaded: publish and subscribe on the event loop's thread; other
// threads post() to it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace p2psip::control {

struct event {
  std::string topic;
  boost::json::object params;  // {"topic": topic, ...the publisher's fields}
  // The JSON-RPC notification line, encoded once and shared by all subscribers.
  std::shared_ptr<const std::string> notification;
};

// "peer.up" matches only itself, "peer.*" every topic under "peer.", "*" all;
// an empty list matches all.
bool topic_matches(const std::vector<std::string>& filter, std::string_view topic);

namespace detail {
struct bus_state;
}

// Unsubscribes when destroyed; harmless if the bus is already gone.
class event_subscription {
 public:
  event_subscription() = default;
  event_subscription(std::weak_ptr<detail::bus_state> bus, std::uint64_t id);
  event_subscription(event_subscription&& other) noexcept;
  event_subscription& operator=(event_subscription&& other) noexcept;
  event_subscription(const event_subscription&) = delete;
  event_subscription& operator=(const event_subscription&) = delete;
  ~event_subscription();

  void reset();
  bool active() const { return id_ != 0; }

 private:
  std::weak_ptr<detail::bus_state> bus_;
  std::uint64_t id_ = 0;
};

class event_bus {
 public:
  using sink = std::function<void(const event&)>;

  event_bus();
  ~event_bus();
  event_bus(const event_bus&) = delete;
  event_bus& operator=(const event_bus&) = delete;

  [[nodiscard]] event_subscription subscribe(std::vector<std::string> topics, sink deliver);

  // `fields` must not contain "topic"; it is set from `topic`.
  void publish(std::string_view topic, boost::json::object fields = {});

  std::size_t subscriber_count() const;

 private:
  std::shared_ptr<detail::bus_state> state_;
};

}  // namespace p2psip::control
