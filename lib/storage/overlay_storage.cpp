#include "storage/overlay_storage.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "overlay/ring.hpp"
#include "storage/replication.hpp"

namespace p2psip::storage {

namespace {

using wire::message_code;
using wire::reload_error_code;

// How often expired values are swept; a Fetch never returns them anyway.
constexpr auto expiry_sweep = std::chrono::seconds(60);
// Changes in one instant (a join's several table updates) make one pass;
// no longer, since a joining peer answers for its range from its JoinAns on
// and should hold the data by then (§10.5 step 6).
constexpr auto reconcile_delay = std::chrono::seconds(0);

bool contains(const std::vector<wire::node_id>& peers, const wire::node_id& peer) {
  return std::find(peers.begin(), peers.end(), peer) != peers.end();
}

}  // namespace

overlay_storage::overlay_storage(overlay::overlay_node& node, const kind_registry& kinds,
                                 stored_data_verifier& verifier)
    : node_(node), kinds_(kinds), verifier_(verifier), service_(kinds, store_, verifier) {
  node_.set_data_model_lookup(kinds_.data_models());
  node_.handle(message_code::store_req,
               [this](const overlay::incoming_request& r, overlay::responder reply) {
                 handle_store(r, std::move(reply));
               });
  const auto answer_with = [this](auto&& run) {
    return [this, run](const overlay::incoming_request& r, overlay::responder reply) {
      auto result = run(r);
      if (!result) {
        ++stats_.refused;
        reply.answer({message_code::error, result.error()});
        return;
      }
      reply.answer({wire::answer_code(r.body.code), std::move(*result)});
    };
  };
  node_.handle(message_code::fetch_req, answer_with([this](const overlay::incoming_request& r) {
                 return service_.fetch(std::get<wire::fetch_req>(r.body.value), now());
               }));
  node_.handle(message_code::stat_req, answer_with([this](const overlay::incoming_request& r) {
                 return service_.stat(std::get<wire::stat_req>(r.body.value), now());
               }));
  node_.handle(message_code::find_req, answer_with([this](const overlay::incoming_request& r) {
                 return service_.find(std::get<wire::find_req>(r.body.value), now());
               }));
  node_.on_topology_change([this] { schedule_reconcile(); });
  node_.before_leave([this](std::function<void()> done) { hand_over(std::move(done)); });
  schedule_expiry();
}

time_point overlay_storage::now() const {
  return time_point(std::chrono::milliseconds(node_.wall_clock_ms()));
}

void overlay_storage::handle_store(const overlay::incoming_request& request,
                                   overlay::responder reply) {
  const auto& store = std::get<wire::store_req>(request.body.value);
  store_context context;
  context.now = now();
  context.certificates = request.message.security.certificates;
  const bool original = store.replica_number == 0;
  if (original) context.replicas = node_.topology().replica_peers();
  auto result = service_.store(store, context);
  if (!result) {
    ++stats_.refused;
    reply.answer({message_code::error, result.error()});
    return;
  }
  reply.answer({message_code::store_ans, std::move(*result)});
  if (!original) {
    ++stats_.replica_stores;
    return;
  }
  ++stats_.stores;
  // §10.4: the responsible peer stores the replicas on its successors, with
  // the generation it just assigned (replica Stores carry it, §7.4.1.1).
  for (auto& exported : export_resource(store_, store.resource, 1, context.now)) {
    replicate(exported, context.replicas);
  }
}

void overlay_storage::replicate(const wire::store_req& request,
                                const std::vector<wire::node_id>& targets,
                                std::function<void()> done) {
  auto remaining = std::make_shared<std::size_t>(targets.size());
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  if (targets.empty() && *finish) (*finish)();
  const auto certificates = verifier_.certificates_for(request);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto copy = request;
    copy.replica_number = static_cast<std::uint8_t>(i + 1);
    ++stats_.replicas_sent;
    node_.send_request({wire::destination::node(targets[i])}, {message_code::store_req, std::move(copy)},
                       [remaining, finish](overlay::answer_result) {
                         if (--*remaining == 0 && *finish) (*finish)();
                       },
                       certificates);
  }
}

void overlay_storage::schedule_reconcile() {
  if (reconcile_pending_) return;
  reconcile_pending_ = true;
  node_.timers().schedule(reconcile_delay, [this] {
    reconcile_pending_ = false;
    reconcile();
  });
}

void overlay_storage::reconcile() {
  if (node_.state() != overlay::node_state::joined) return;
  auto& topology = node_.topology();
  const auto view = topology.view();
  const std::optional<wire::node_id> predecessor =
      view.predecessors.empty() ? std::nullopt : std::optional(view.predecessors.front());
  const auto replicas = topology.replica_peers();
  const auto& self = node_.self();
  const auto was_ours = [&](const wire::node_id& key) {
    return !last_predecessor_ ||
           overlay::between(key, *last_predecessor_, self, overlay::ends::right_closed);
  };
  std::vector<wire::resource_id> drop;
  const auto t = now();
  for (const auto& [resource, kinds] : store_.resources()) {
    const auto key = overlay::resource_key(resource);
    if (!key) continue;
    std::vector<wire::node_id> targets;
    if (topology.is_responsible(*key)) {
      // Newly ours (a predecessor failed or left): every replica peer needs
      // it; otherwise only the replica peers that are new.
      for (const auto& peer : replicas) {
        if (!was_ours(*key) || !contains(last_replicas_, peer)) targets.push_back(peer);
      }
    } else {
      // No longer ours: the peer now responsible (a joining node, §10.5
      // step 6) gets it; data outside our replica set is dropped (§10.7.3).
      const auto responsible = topology.responsible_peer(*key);
      if (was_ours(*key) && responsible && *responsible != self) targets.push_back(*responsible);
      if (!topology.in_replica_set(*key)) drop.push_back(resource);
    }
    if (targets.empty()) continue;
    for (auto& request : export_resource(store_, resource, 1, t)) replicate(request, targets);
  }
  for (const auto& resource : drop) store_.erase(resource);
  last_predecessor_ = predecessor;
  last_replicas_ = replicas;
}

void overlay_storage::hand_over(std::function<void()> done) {
  // A leaving peer's successor becomes responsible for its data (§10.9):
  // send everything this node is responsible for before saying goodbye.
  const auto replicas = node_.topology().replica_peers();
  std::vector<wire::store_req> requests;
  for (const auto& [resource, kinds] : store_.resources()) {
    const auto key = overlay::resource_key(resource);
    if (!key || !node_.topology().is_responsible(*key)) continue;
    auto exported = export_resource(store_, resource, 1, now());
    requests.insert(requests.end(), exported.begin(), exported.end());
  }
  if (replicas.empty() || requests.empty()) {
    done();
    return;
  }
  auto remaining = std::make_shared<std::size_t>(requests.size());
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  for (const auto& request : requests) {
    replicate(request, replicas, [remaining, finish] {
      if (--*remaining == 0) (*finish)();
    });
  }
}

void overlay_storage::schedule_expiry() {
  node_.timers().schedule(expiry_sweep, [this] {
    for (const auto& gone : store_.expire(now())) {
      ++stats_.expired;
      if (expired_observer_) expired_observer_(gone);
    }
    schedule_expiry();
  });
}

}  // namespace p2psip::storage
