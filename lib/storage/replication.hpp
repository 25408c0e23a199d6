// What the overlay needs to replicate and migrate data (RFC 6940 §10.4,
// §10.7.3): a resource's contents as StoreReqs another peer can apply with
// storage_service::store. The receiver verifies every value again, so the
// original StoredData travel unchanged, signatures included.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "storage/data_store.hpp"
#include "wire/store.hpp"

namespace p2psip::storage {

// StoreReqs carrying every Kind at `resource`, one Kind each (so that a Kind
// the receiver holds newer data for does not block the others), with
// `replica_number` and the Kind's generation, which a replica Store sets at
// the receiver (§7.4.1.1). A Kind whose values together encode to more than
// `max_value_bytes` is spread over several StoreReqs, each value whole, so
// that each fits a message. Lifetimes are what remains at `now` (§7.4.1.1:
// "adjust the lifetime value downward"); values with less than a second
// left are not sent. Empty when nothing at the resource is alive.
std::vector<wire::store_req> export_resource(const data_store& store,
                                             const wire::resource_id& resource,
                                             std::uint8_t replica_number, time_point now,
                                             std::size_t max_value_bytes);

// A single-Kind StoreReq of two or more values cut into two with half the
// values each, for a request the overlay found too large to carry; nullopt
// when there is nothing left to cut.
std::optional<std::pair<wire::store_req, wire::store_req>> split_in_half(
    const wire::store_req& request);

}  // namespace p2psip::storage
