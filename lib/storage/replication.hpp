// What the overlay needs to replicate and migrate data (RFC 6940 §10.4,
// §10.7.3): a resource's contents as StoreReqs another peer can apply with
// storage_service::store. The receiver verifies every value again, so the
// original StoredData travel unchanged, signatures included.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/data_store.hpp"
#include "wire/store.hpp"

namespace p2psip::storage {

// One StoreReq per Kind at `resource` (so that a Kind the receiver holds
// newer data for does not block the others), with `replica_number` and the
// Kind's generation, which a replica Store sets at the receiver (§7.4.1.1).
// Lifetimes are what remains at `now` (§7.4.1.1: "adjust the lifetime value
// downward"); values with less than a second left are not sent. Empty when
// nothing at the resource is alive.
std::vector<wire::store_req> export_resource(const data_store& store,
                                             const wire::resource_id& resource,
                                             std::uint8_t replica_number, time_point now);

}  // namespace p2psip::storage
