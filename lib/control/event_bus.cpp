#include "control/event_bus.hpp"

#include <map>
#include <utility>

#include "control/json_rpc.hpp"

namespace p2psip::control {

namespace detail {
struct bus_state {
  struct subscriber {
    std::vector<std::string> topics;
    event_bus::sink deliver;
  };
  std::map<std::uint64_t, subscriber> subscribers;
  std::uint64_t next_id = 1;
};
}  // namespace detail

bool topic_matches(const std::vector<std::string>& filter, std::string_view topic) {
  if (filter.empty()) return true;
  for (const auto& pattern : filter) {
    if (pattern == "*" || pattern == topic) return true;
    if (pattern.size() >= 2 && pattern.ends_with(".*") &&
        topic.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1))) {
      return true;
    }
  }
  return false;
}

event_subscription::event_subscription(std::weak_ptr<detail::bus_state> bus, std::uint64_t id)
    : bus_(std::move(bus)), id_(id) {}

event_subscription::event_subscription(event_subscription&& other) noexcept
    : bus_(std::move(other.bus_)), id_(std::exchange(other.id_, 0)) {}

event_subscription& event_subscription::operator=(event_subscription&& other) noexcept {
  if (this != &other) {
    reset();
    bus_ = std::move(other.bus_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

event_subscription::~event_subscription() { reset(); }

void event_subscription::reset() {
  if (id_ == 0) return;
  if (auto bus = bus_.lock()) bus->subscribers.erase(id_);
  id_ = 0;
  bus_.reset();
}

event_bus::event_bus() : state_(std::make_shared<detail::bus_state>()) {}
event_bus::~event_bus() = default;

event_subscription event_bus::subscribe(std::vector<std::string> topics, sink deliver) {
  const std::uint64_t id = state_->next_id++;
  state_->subscribers.emplace(id,
                              detail::bus_state::subscriber{std::move(topics), std::move(deliver)});
  return event_subscription(state_, id);
}

void event_bus::publish(std::string_view topic, boost::json::object fields) {
  std::vector<std::uint64_t> interested;
  for (const auto& [id, subscriber] : state_->subscribers) {
    if (topic_matches(subscriber.topics, topic)) interested.push_back(id);
  }
  if (interested.empty()) return;
  event published;
  published.topic = std::string(topic);
  published.params["topic"] = topic;  // first, so streams read naturally
  for (auto& member : fields) {
    if (member.key() != "topic") published.params[member.key()] = std::move(member.value());
  }
  published.notification =
      std::make_shared<const std::string>(encode_notification("event", published.params));
  // A sink may unsubscribe itself or others while we deliver; look each one up again.
  for (const std::uint64_t id : interested) {
    const auto found = state_->subscribers.find(id);
    if (found == state_->subscribers.end()) continue;
    // A copy, because a sink that unsubscribes itself destroys the stored one.
    const event_bus::sink deliver = found->second.deliver;
    deliver(published);
  }
}

std::size_t event_bus::subscriber_count() const { return state_->subscribers.size(); }

}  // namespace p2psip::control
