#include "storage/value_watch_list.hpp"

#include <algorithm>

namespace p2psip::storage {

namespace {

std::string text_of(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

}  // namespace

watched_values values_of(const std::vector<wire::stored_data>& data) {
  watched_values out;
  for (const auto& d : data) {
    if (const auto* single = std::get_if<wire::data_value>(&d.value.entry)) {
      if (single->exists) out[std::string()] = text_of(single->value);
    } else if (const auto* element = std::get_if<wire::array_entry>(&d.value.entry)) {
      if (!element->value.exists) continue;
      std::string index;
      for (int shift = 24; shift >= 0; shift -= 8)
        index.push_back(static_cast<char>(element->index >> shift));
      out[std::move(index)] = text_of(element->value.value);
    } else if (const auto* entry = std::get_if<wire::dictionary_entry>(&d.value.entry)) {
      if (entry->value.exists) out[text_of(entry->key)] = text_of(entry->value.value);
    }
  }
  return out;
}

std::optional<value_watch_list::watch_id> value_watch_list::add(std::chrono::seconds interval,
                                                                clock::time_point now) {
  if (watches_.size() >= max_watches) return std::nullopt;
  const auto id = ++last_id_;
  watches_[id] = watch{.interval = std::max(interval, std::chrono::seconds(min_watch_interval)),
                       .next_poll = now,
                       .polling = false,
                       .seen = std::nullopt};
  return id;
}

bool value_watch_list::remove(watch_id id) { return watches_.erase(id) != 0; }

std::vector<value_watch_list::watch_id> value_watch_list::due(clock::time_point now) {
  std::vector<watch_id> out;
  for (auto& [id, w] : watches_) {
    if (w.polling || w.next_poll > now) continue;
    w.polling = true;
    out.push_back(id);
  }
  return out;
}

bool value_watch_list::observed(watch_id id, const std::optional<watched_values>& values,
                                clock::time_point now) {
  const auto it = watches_.find(id);
  if (it == watches_.end()) return false;
  auto& w = it->second;
  w.polling = false;
  w.next_poll = now + w.interval;
  if (!values) return false;
  const bool changed = w.seen && *w.seen != *values;
  w.seen = *values;
  return changed;
}

std::optional<value_watch_list::clock::time_point> value_watch_list::next_due() const {
  std::optional<clock::time_point> out;
  for (const auto& [id, w] : watches_) {
    if (w.polling) continue;
    if (!out || w.next_poll < *out) out = w.next_poll;
  }
  return out;
}

}  // namespace p2psip::storage
