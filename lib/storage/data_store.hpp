// The values this node holds: Resource-ID → Kind → values (RFC 6940 §7.2),
// each with the Kind's generation counter and each value's local expiry.
// A plain container: the storage service decides what may be stored.
//
// Kept lean for the simulator (10,000 nodes, 64 KiB each): one ordered map
// node per resource, a small vector of Kinds in it, and values stored as
// their wire::stored_data so Fetch and replication return them unchanged.
// Ordered by Resource-ID, which for equal-length IDs is ring order, so Find
// and range migration can walk it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "wire/ids.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::storage {

using time_point = std::chrono::system_clock::time_point;

// Milliseconds since the epoch of time_point, the unit of storage_time.
std::uint64_t to_ms(time_point t) noexcept;

// One value and when it leaves this node. Lifetime counts "from the time the
// peer receives the StoreReq" (§7), so expiry is on the local clock:
// receipt + lifetime, independent of the storer's storage_time.
struct stored_value {
  wire::stored_data data;
  std::uint64_t expires_ms = 0;

  bool expired(std::uint64_t now_ms) const noexcept { return expires_ms <= now_ms; }
  friend bool operator==(const stored_value&, const stored_value&) = default;
};

// The values of one Kind at one resource: at most one for a single-value
// Kind, else sorted by array index or dictionary key (stored appends carry
// their real index).
struct kind_entry {
  wire::kind_id kind;
  wire::generation_counter generation;
  std::vector<stored_value> values;
  friend bool operator==(const kind_entry&, const kind_entry&) = default;
};

// The DataValue of any model's arm.
const wire::data_value& data_value_of(const wire::stored_data& data) noexcept;
// The array index or dictionary key a value is stored under (0 / empty for
// another model).
std::uint32_t array_index_of(const wire::stored_data& data) noexcept;
const wire::dictionary_key& dictionary_key_of(const wire::stored_data& data) noexcept;

struct expired_value {
  wire::resource_id resource;
  wire::kind_id kind;
  wire::stored_data data;
};

class data_store {
 public:
  using resource_map = std::map<wire::resource_id, std::vector<kind_entry>>;

  const kind_entry* find(const wire::resource_id& resource, wire::kind_id kind) const noexcept;
  // Every Kind at `resource` (empty when none).
  std::span<const kind_entry> kinds_at(const wire::resource_id& resource) const noexcept;

  // Replaces the Kind's entry at `resource`. An entry without values removes
  // the Kind, and a resource without Kinds is removed.
  void replace(const wire::resource_id& resource, kind_entry entry);
  // Drops the resource with all its Kinds (e.g. after migrating it away).
  bool erase(const wire::resource_id& resource);
  // Removes every value whose lifetime has run out and returns them. A Kind
  // left empty is removed with its generation counter.
  std::vector<expired_value> expire(time_point now);

  // The first resource at or after `from` in ring order (wrapping once) that
  // holds an unexpired value of `kind`.
  std::optional<wire::resource_id> closest_with_kind(const wire::resource_id& from,
                                                     wire::kind_id kind, time_point now) const;

  // Ordered iteration, e.g. resources().lower_bound(x) for a ring range.
  const resource_map& resources() const noexcept { return resources_; }
  std::size_t resource_count() const noexcept { return resources_.size(); }
  std::size_t value_count() const noexcept { return value_count_; }
  std::size_t value_count(const wire::resource_id& resource) const noexcept;
  // Heap and object bytes the store holds, approximately (allocator overhead
  // estimated), for the simulator's memory report.
  std::size_t approximate_bytes() const noexcept;

 private:
  resource_map resources_;
  std::size_t value_count_ = 0;
};

}  // namespace p2psip::storage
