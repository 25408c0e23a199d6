// The storage layer bound to one overlay node: it answers Store, Fetch, Stat
// and Find delivered to the node, keeps the responsible peer plus two
// successors holding every value (RFC 6940 §10.4), and migrates data as the
// neighbourhood changes (§10.5 step 6, §10.7.3) and before a graceful leave,
// so that no value is lost while fewer than three consecutive peers fail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "overlay/overlay_node.hpp"
#include "storage/data_store.hpp"
#include "storage/kind_registry.hpp"
#include "storage/storage_service.hpp"
#include "storage/stored_data_verifier.hpp"

namespace p2psip::storage {

struct overlay_storage_stats {
  std::uint64_t stores = 0;           // original Stores accepted
  std::uint64_t replica_stores = 0;   // replica and migration Stores accepted
  std::uint64_t refused = 0;          // requests answered with an error
  std::uint64_t replicas_sent = 0;    // StoreReqs this node sent to other peers
  std::uint64_t replicas_failed = 0;  // ... that were refused or not answered
  std::uint64_t expired = 0;
};

class overlay_storage {
 public:
  // Everything must outlive this object. Registers the request handlers and
  // topology hooks on `node`.
  overlay_storage(overlay::overlay_node& node, const kind_registry& kinds,
                  stored_data_verifier& verifier);
  overlay_storage(const overlay_storage&) = delete;
  overlay_storage& operator=(const overlay_storage&) = delete;

  const data_store& store() const noexcept { return store_; }
  const overlay_storage_stats& stats() const noexcept { return stats_; }
  // Called for each value that expired (for events).
  void on_expired(std::function<void(const expired_value&)> observer) {
    expired_observer_ = std::move(observer);
  }
  // Called for each original Store this node accepted as the responsible
  // peer (not for replicas), before replication (for events).
  void on_stored(std::function<void(const wire::store_req&)> observer) {
    stored_observer_ = std::move(observer);
  }

 private:
  time_point now() const;
  void handle_store(const overlay::incoming_request& request, overlay::responder reply);
  // Whether `target` took a whole batch of Stores.
  using target_outcome = std::function<void(const wire::node_id& target, bool accepted)>;
  // Sends the Stores of `resource` in this node's store, as they are now, to
  // every peer in `targets` (replica numbers 1, 2, ...); `outcome` runs once
  // per target.
  void pass_on_handed_data(const wire::resource_id& resource, const wire::node_id& sender);
  void replicate(const wire::resource_id& resource, const std::vector<wire::node_id>& targets,
                 target_outcome outcome = {});
  // Sends `requests` to `target`, cutting any the overlay finds too large for
  // a message in half; `done` learns whether the target accepted them all.
  void send_stores(const wire::node_id& target, std::vector<wire::store_req> requests,
                   std::function<void(bool accepted)> done);
  void send_store(const wire::node_id& target, wire::store_req request,
                  std::function<void(bool accepted)> done);
  // Re-examines every resource after the neighbourhood changed (§10.7.3).
  void reconcile();
  void schedule_reconcile();
  void schedule_expiry();
  void hand_over(std::function<void(bool complete)> done);

  overlay::overlay_node& node_;
  const kind_registry& kinds_;
  stored_data_verifier& verifier_;
  data_store store_;
  storage_service service_;
  // The neighbourhood at the last reconcile: what changed since decides
  // which resources move where.
  std::optional<wire::node_id> last_predecessor_;
  std::vector<wire::node_id> last_replicas_;
  bool reconcile_pending_ = false;
  // Resources found outside the replica set, and since when: dropped once
  // they have stayed outside for a while (see reconcile()).
  std::map<wire::resource_id, time_point> outside_since_;
  // For each resource held but not ours, the peer responsible for it at the
  // last reconcile: a holder hands the data to each new one it learns of.
  std::map<wire::resource_id, wire::node_id> responsible_seen_;
  bool recheck_pending_ = false;
  overlay_storage_stats stats_;
  std::function<void(const expired_value&)> expired_observer_;
  std::function<void(const wire::store_req&)> stored_observer_;
};

}  // namespace p2psip::storage
