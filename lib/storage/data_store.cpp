#include "storage/data_store.hpp"

#include <algorithm>

namespace p2psip::storage {
namespace {

// glibc malloc's per-block overhead, rounded; enough for a memory estimate.
constexpr std::size_t malloc_overhead = 16;
// std::map node header: colour, parent, left, right.
constexpr std::size_t map_node_header = 32;

template <class T>
std::size_t heap_bytes(const std::vector<T>& v) noexcept {
  return v.capacity() == 0 ? 0 : v.capacity() * sizeof(T) + malloc_overhead;
}

std::size_t heap_bytes(const wire::stored_data& data) noexcept {
  const auto& leaf = data_value_of(data);
  return heap_bytes(leaf.value) + heap_bytes(dictionary_key_of(data)) +
         heap_bytes(data.signature.identity.hash) + heap_bytes(data.signature.value);
}

std::size_t live_values(const kind_entry& entry, std::uint64_t now_ms) {
  return static_cast<std::size_t>(
      std::count_if(entry.values.begin(), entry.values.end(),
                    [now_ms](const stored_value& v) { return !v.expired(now_ms); }));
}

}  // namespace

std::uint64_t to_ms(time_point t) noexcept {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  return ms.count() < 0 ? 0 : static_cast<std::uint64_t>(ms.count());
}

std::uint32_t array_index_of(const wire::stored_data& data) noexcept {
  const auto* entry = std::get_if<wire::array_entry>(&data.value.entry);
  return entry != nullptr ? entry->index : 0;
}

const wire::data_value& data_value_of(const wire::stored_data& data) noexcept {
  return std::visit(
      [](const auto& e) -> const wire::data_value& {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, wire::data_value>) {
          return e;
        } else {
          return e.value;
        }
      },
      data.value.entry);
}

const wire::dictionary_key& dictionary_key_of(const wire::stored_data& data) noexcept {
  static const wire::dictionary_key none;
  const auto* entry = std::get_if<wire::dictionary_entry>(&data.value.entry);
  return entry != nullptr ? entry->key : none;
}

const kind_entry* data_store::find(const wire::resource_id& resource,
                                   wire::kind_id kind) const noexcept {
  for (const auto& entry : kinds_at(resource)) {
    if (entry.kind == kind) return &entry;
  }
  return nullptr;
}

std::span<const kind_entry> data_store::kinds_at(const wire::resource_id& resource) const noexcept {
  const auto at = resources_.find(resource);
  if (at == resources_.end()) return {};
  return at->second;
}

void data_store::replace(const wire::resource_id& resource, kind_entry entry) {
  auto at = resources_.find(resource);
  if (at == resources_.end()) {
    if (entry.values.empty()) return;
    at = resources_.emplace(resource, std::vector<kind_entry>{}).first;
  }
  auto& kinds = at->second;
  const auto old = std::find_if(kinds.begin(), kinds.end(),
                                [&](const kind_entry& k) { return k.kind == entry.kind; });
  if (old != kinds.end()) {
    value_count_ -= old->values.size();
    if (entry.values.empty()) {
      kinds.erase(old);
    } else {
      value_count_ += entry.values.size();
      *old = std::move(entry);
    }
  } else if (!entry.values.empty()) {
    value_count_ += entry.values.size();
    kinds.push_back(std::move(entry));
  }
  if (kinds.empty()) resources_.erase(at);
}

bool data_store::erase(const wire::resource_id& resource) {
  const auto at = resources_.find(resource);
  if (at == resources_.end()) return false;
  for (const auto& entry : at->second) value_count_ -= entry.values.size();
  resources_.erase(at);
  return true;
}

std::vector<expired_value> data_store::expire(time_point now) {
  const auto now_ms = to_ms(now);
  std::vector<expired_value> out;
  for (auto at = resources_.begin(); at != resources_.end();) {
    auto& kinds = at->second;
    for (auto& entry : kinds) {
      const auto gone =
          std::stable_partition(entry.values.begin(), entry.values.end(),
                                [now_ms](const stored_value& v) { return !v.expired(now_ms); });
      for (auto v = gone; v != entry.values.end(); ++v) {
        out.push_back({at->first, entry.kind, std::move(v->data)});
      }
      value_count_ -= static_cast<std::size_t>(entry.values.end() - gone);
      entry.values.erase(gone, entry.values.end());
    }
    std::erase_if(kinds, [](const kind_entry& k) { return k.values.empty(); });
    at = kinds.empty() ? resources_.erase(at) : std::next(at);
  }
  return out;
}

std::optional<wire::resource_id> data_store::closest_with_kind(const wire::resource_id& from,
                                                               wire::kind_id kind,
                                                               time_point now) const {
  const auto now_ms = to_ms(now);
  const auto holds = [&](const resource_map::value_type& r) {
    return std::any_of(r.second.begin(), r.second.end(), [&](const kind_entry& k) {
      return k.kind == kind && live_values(k, now_ms) > 0;
    });
  };
  const auto start = resources_.lower_bound(from);
  if (const auto at = std::find_if(start, resources_.end(), holds); at != resources_.end()) {
    return at->first;
  }
  if (const auto at = std::find_if(resources_.begin(), start, holds); at != start) {
    return at->first;
  }
  return std::nullopt;
}

std::size_t data_store::value_count(const wire::resource_id& resource) const noexcept {
  std::size_t n = 0;
  for (const auto& entry : kinds_at(resource)) n += entry.values.size();
  return n;
}

std::size_t data_store::approximate_bytes() const noexcept {
  std::size_t bytes = sizeof(*this);
  for (const auto& [resource, kinds] : resources_) {
    bytes += map_node_header + sizeof(resource_map::value_type) + malloc_overhead;
    bytes += resource.size() + malloc_overhead;
    bytes += heap_bytes(kinds);
    for (const auto& entry : kinds) {
      bytes += heap_bytes(entry.values);
      for (const auto& value : entry.values) bytes += heap_bytes(value.data);
    }
  }
  return bytes;
}

}  // namespace p2psip::storage
