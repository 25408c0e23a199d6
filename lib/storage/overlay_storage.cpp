#include "storage/overlay_storage.hpp"

#include <algorithm>
#include <chrono>
#include <map>
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
// How long a resource must stay outside this node's replica set before it is
// dropped (§10.7.3 says SHOULD, not MUST). A crashed predecessor lingers in
// the tables until its link is found dead (2·Tr = 30 s with ICE, RFC 7363
// §6.3.1), and meanwhile makes the replica set look smaller than it is:
// dropping at once lost the third copy the responsible peer had just made.
constexpr auto drop_grace = std::chrono::minutes(2);

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
  node_.before_leave([this](std::function<void(bool)> done) { hand_over(std::move(done)); });
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
  const bool held_before = store_.value_count(store.resource) > 0;
  auto result = service_.store(store, context);
  if (!result) {
    ++stats_.refused;
    reply.answer({message_code::error, result.error()});
    return;
  }
  if (store.replica_number != 0) {
    ++stats_.replica_stores;
    reply.answer({message_code::store_ans, std::move(*result)});
    if (!held_before) pass_on_handed_data(store.resource, request.sender);
    return;
  }
  ++stats_.stores;
  if (stored_observer_) stored_observer_(store);
  // §10.4: the responsible peer stores the replicas on its successors, with
  // the generation it just assigned (replica Stores carry it, §7.4.1.1). The
  // answer names the replicas that acknowledged (§7.4.1.2 lets the storing
  // node check them); it waits for them only while the requester would not
  // yet retransmit, then names those heard from so far.
  const auto targets = node_.topology().replica_peers();
  struct pending_answer {
    overlay::responder reply;
    wire::store_ans ans;
    std::vector<wire::node_id> targets;
    std::vector<bool> accepted;
    std::size_t outstanding;
  };
  auto pending = std::make_shared<pending_answer>(
      pending_answer{std::move(reply), std::move(*result), targets,
                     std::vector<bool>(targets.size()), targets.size()});
  const auto send_answer = [pending] {
    std::vector<wire::node_id> made;
    for (std::size_t i = 0; i < pending->targets.size(); ++i) {
      if (pending->accepted[i]) made.push_back(pending->targets[i]);
    }
    for (auto& response : pending->ans.kind_responses) response.replicas = made;
    pending->reply.answer({message_code::store_ans, pending->ans});  // once: later calls are no-ops
  };
  if (targets.empty()) {
    send_answer();
    return;
  }
  replicate(store.resource, targets,
            [pending, send_answer](const wire::node_id& target, bool accepted) {
              const auto at = std::find(pending->targets.begin(), pending->targets.end(), target);
              pending->accepted[static_cast<std::size_t>(at - pending->targets.begin())] = accepted;
              if (--pending->outstanding == 0) send_answer();
            });
  node_.timers().schedule(node_.config().reliability_timer / 2, send_answer);
}

// A replica Store that brings a resource new to this node came from a peer
// that took it for responsible, or for a replica of the responsible one.
// After a merge that peer's view may be stale: data this node is now
// responsible for gets its replicas made here, and data another peer is
// responsible for (in this node's view) goes on to it, unless it came from
// there. Only new resources are passed on, so differing views cannot make
// a Store circle.
void overlay_storage::pass_on_handed_data(const wire::resource_id& resource,
                                          const wire::node_id& sender) {
  const auto key = overlay::resource_key(resource);
  if (!key) return;
  auto& topology = node_.topology();
  if (topology.is_responsible(*key)) {
    if (const auto targets = topology.replica_peers(); !targets.empty()) {
      replicate(resource, targets);
    }
    return;
  }
  const auto responsible = topology.responsible_peer(*key);
  if (responsible && *responsible != node_.self() && *responsible != sender) {
    replicate(resource, {*responsible});
  }
}

void overlay_storage::replicate(const wire::resource_id& resource,
                                const std::vector<wire::node_id>& targets, target_outcome outcome) {
  const auto requests =
      export_resource(store_, resource, 1, now(), node_.config().max_message_size);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto numbered = requests;
    for (auto& request : numbered) request.replica_number = static_cast<std::uint8_t>(i + 1);
    send_stores(targets[i], std::move(numbered), [outcome, target = targets[i]](bool accepted) {
      if (outcome) outcome(target, accepted);
    });
  }
}

void overlay_storage::send_stores(const wire::node_id& target,
                                  std::vector<wire::store_req> requests,
                                  std::function<void(bool accepted)> done) {
  if (requests.empty()) {
    done(true);
    return;
  }
  struct batch {
    std::size_t outstanding;
    bool accepted = true;
    std::function<void(bool)> done;
  };
  auto state = std::make_shared<batch>(batch{requests.size(), true, std::move(done)});
  for (auto& request : requests) {
    send_store(target, std::move(request), [state](bool accepted) {
      state->accepted = state->accepted && accepted;
      if (--state->outstanding == 0) state->done(state->accepted);
    });
  }
}

void overlay_storage::send_store(const wire::node_id& target, wire::store_req request,
                                 std::function<void(bool accepted)> done) {
  ++stats_.replicas_sent;
  auto certificates = verifier_.certificates_for(request);
  auto halves = split_in_half(request);
  node_.send_request(
      {wire::destination::node(target)}, {message_code::store_req, std::move(request)},
      [this, target, halves = std::move(halves),
       done = std::move(done)](overlay::answer_result result) mutable {
        if (result) {
          done(true);
          return;
        }
        const auto& error = result.error();
        const bool too_large = error.failure == overlay::request_failure::too_large ||
                               (error.failure == overlay::request_failure::error_response &&
                                error.code == reload_error_code::message_too_large);
        if (too_large && halves) {
          send_stores(target, {std::move(halves->first), std::move(halves->second)},
                      std::move(done));
          return;
        }
        ++stats_.replicas_failed;
        done(false);
      },
      std::move(certificates));
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
  // A predecessor no longer linked left or failed, and its range fell to
  // this node even if no reconcile ran meanwhile (the node was rejoining):
  // what it holds of that range goes to whoever is responsible now.
  const bool predecessor_gone = last_predecessor_ && !node_.connected(*last_predecessor_);
  std::vector<wire::resource_id> drop;
  const auto t = now();
  std::map<wire::resource_id, time_point> outside;
  std::map<wire::resource_id, wire::node_id> responsible_now;
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
      // After two rings merge, neither the old responsible peer nor its
      // replicas see the key leave a range of their own, and the first peer
      // they take for responsible may not be the last: each holder hands the
      // data to every new responsible peer it learns of.
      const auto responsible = topology.responsible_peer(*key);
      if (responsible && *responsible != self) {
        const auto seen = responsible_seen_.find(resource);
        const bool moved = seen != responsible_seen_.end() && seen->second != *responsible;
        if (was_ours(*key) || predecessor_gone || moved) targets.push_back(*responsible);
        responsible_now.emplace(resource, *responsible);
      }
      if (!topology.in_replica_set(*key)) {
        const auto since = outside_since_.try_emplace(resource, t).first->second;
        if (t - since >= drop_grace) {
          drop.push_back(resource);
        } else {
          outside.emplace(resource, since);
        }
      }
    }
    if (!targets.empty()) replicate(resource, targets);
  }
  for (const auto& resource : drop) store_.erase(resource);
  outside_since_ = std::move(outside);
  responsible_seen_ = std::move(responsible_now);
  last_predecessor_ = predecessor;
  last_replicas_ = replicas;
  // Looks again when the oldest may go, whether or not the tables change.
  if (!outside_since_.empty() && !recheck_pending_) {
    recheck_pending_ = true;
    node_.timers().schedule(drop_grace, [this] {
      recheck_pending_ = false;
      schedule_reconcile();
    });
  }
}

void overlay_storage::hand_over(std::function<void(bool complete)> done) {
  // A leaving peer's successor becomes responsible for its data (§10.9):
  // send everything this node is responsible for before saying goodbye.
  // Complete when, for every resource, some successor took all of it.
  const auto replicas = node_.topology().replica_peers();
  std::vector<wire::resource_id> resources;
  for (const auto& [resource, kinds] : store_.resources()) {
    const auto key = overlay::resource_key(resource);
    if (key && node_.topology().is_responsible(*key)) resources.push_back(resource);
  }
  if (resources.empty()) {
    done(true);
    return;
  }
  if (replicas.empty()) {
    done(false);
    return;
  }
  struct progress {
    std::size_t outstanding;
    std::map<wire::resource_id, bool> kept;  // some successor took all of it
    std::function<void(bool)> done;
  };
  auto state =
      std::make_shared<progress>(progress{resources.size() * replicas.size(), {}, std::move(done)});
  for (const auto& resource : resources) {
    state->kept[resource] = false;
    replicate(resource, replicas, [state, resource](const wire::node_id&, bool accepted) {
      if (accepted) state->kept[resource] = true;
      if (--state->outstanding > 0) return;
      state->done(std::all_of(state->kept.begin(), state->kept.end(),
                              [](const auto& r) { return r.second; }));
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
