#include "overlay/overlay_node.hpp"

#include <algorithm>
#include <utility>

#include "overlay/fragmentation.hpp"
#include "overlay/ring.hpp"
#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/codec.hpp"
#include "wire/error_response.hpp"

namespace p2psip::overlay {

namespace {

using wire::destination;
using wire::message_code;
using wire::reload_error_code;

// The wildcard Node-ID (§6.1.1): every node is responsible for it.
const node_id wildcard_node = [] {
  node_id::bytes_type all_ones;
  all_ones.fill(0xff);
  return node_id(all_ones);
}();

// The message code: the first bytes of a message after its forwarding header.
std::optional<message_code> leading_code(std::span<const std::uint8_t> message_start) {
  if (message_start.size() < 2) return std::nullopt;
  return static_cast<message_code>((message_start[0] << 8) | message_start[1]);
}

// The message code of a message or fragment; only the first fragment has it.
std::optional<message_code> peek_code(const wire::forwarding_header& header,
                                      std::span<const std::uint8_t> payload) {
  if (wire::fragment_offset(header.fragment) != 0) return std::nullopt;
  return leading_code(payload);
}

// Room a request keeps under max-message-size for the Via List it gathers
// on its way (§6.1.2), one Node-ID per hop until compression replaces them,
// so that what its originator accepts to send also arrives.
std::size_t via_allowance(const overlay_config& config) {
  static const std::size_t per_hop = [] {
    wire::byte_writer w;
    encode(w, destination::node(wildcard_node));
    return w.size();
  }();
  return (config.compress_via_after + 1) * per_hop;
}

// §13.6.5: a Destination List naming one place twice is how loops are built.
bool has_duplicate(const std::vector<destination>& list) {
  for (std::size_t i = 1; i < list.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (list[i] == list[j]) return true;
    }
  }
  return false;
}

// The Destination List of an answer: the request's Via List reversed (§6.2.2).
std::vector<destination> reversed(const std::vector<destination>& via) {
  return {via.rbegin(), via.rend()};
}

// Bound on how often one message may be re-examined (list entries consumed,
// compressed entries expanded) before it is given up as malformed.
constexpr int max_routing_steps = 64;

}  // namespace

const char* to_string(node_state state) noexcept {
  switch (state) {
    case node_state::idle: return "idle";
    case node_state::joining: return "joining";
    case node_state::joined: return "joined";
    case node_state::leaving: return "leaving";
    case node_state::stopped: return "stopped";
  }
  return "unknown";
}

const char* to_string(request_failure failure) noexcept {
  switch (failure) {
    case request_failure::timeout: return "timeout";
    case request_failure::error_response: return "error_response";
    case request_failure::not_routable: return "not_routable";
    case request_failure::bad_answer: return "bad_answer";
    case request_failure::too_large: return "too_large";
    case request_failure::isolated: return "isolated";
    case request_failure::stopped: return "stopped";
  }
  return "unknown";
}

void responder::answer(wire::message_body body) {
  if (done_) return;
  done_ = true;
  if (auto node = node_.lock()) (*node)->send_answer(*request_, std::move(body));
}

void responder::error(reload_error_code code, std::string info) {
  answer({message_code::error, wire::make_error_response(code, info)});
}

overlay_node::overlay_node(const node_id& self, overlay_config config, timer_service& timers,
                           message_transport& transport, message_security& security,
                           const topology_factory& make_topology, std::uint64_t seed)
    : self_(self),
      config_(config),
      timers_(timers),
      transport_(transport),
      security_(security),
      random_(seed),
      transactions_(timers_, transaction_config{.reliability_timer = config.reliability_timer}),
      reassembler_(reassembler_config{.max_message_size = config.max_message_size}),
      // Kept for the maximum request lifetime, beyond every retransmission.
      via_compression_(via_compression_config{.lifetime = std::chrono::seconds(15)},
                       [this] { return random_(); }),
      models_(wire::well_known_data_model),
      life_(std::make_shared<overlay_node*>(this)) {
  topology_ = make_topology(*this);
  // The link stays up: the peer that handed over the fragments only
  // forwarded them, and its frames were within bounds.
  reassembler_.on_too_large(
      [this](const wire::forwarding_header& header, wire::bytes_view message_start) {
        answer_with_error(
            header, leading_code(message_start), reload_error_code::message_too_large,
            "the message exceeds max-message-size " + std::to_string(config_.max_message_size));
      });
}

overlay_node::~overlay_node() {
  life_.reset();
  timers_.stop();
}

// --- life cycle ---------------------------------------------------------------

void overlay_node::set_state(node_state state) {
  if (state_ == state || state_ == node_state::stopped) return;
  state_ = state;
  for (const auto& observer : state_observers_) observer(state);
}

void overlay_node::on_state_change(std::function<void(node_state)> observer) {
  state_observers_.push_back(std::move(observer));
}

void overlay_node::on_topology_change(std::function<void()> observer) {
  topology_observers_.push_back(std::move(observer));
}

void overlay_node::notify_topology_changed() {
  for (const auto& observer : topology_observers_) observer();
}

void overlay_node::before_leave(leave_hook hook) { leave_hooks_.push_back(std::move(hook)); }

void overlay_node::start_new_overlay() {
  set_state(node_state::joined);
  topology_->start_new_overlay();
}

void overlay_node::join(const node_id& bootstrap) {
  set_state(node_state::joining);
  topology_->join(bootstrap);
}

void overlay_node::leave(std::function<void(bool handed_over)> done) {
  set_state(node_state::leaving);
  // The hooks run one after another, then the topology says goodbye.
  auto run = std::make_shared<std::function<void(std::size_t, bool)>>();
  *run = [this, run, done = std::move(done), life = std::weak_ptr(life_)](std::size_t i,
                                                                          bool complete) mutable {
    if (life.expired()) return;
    if (i < leave_hooks_.size()) {
      leave_hooks_[i](
          [run, i, complete](bool hook_complete) { (*run)(i + 1, complete && hook_complete); });
      return;
    }
    topology_->leave([this, done = std::move(done), run, life, complete] {
      if (life.expired()) return;
      stop();
      if (done) done(complete);
      *run = nullptr;  // breaks the self-reference
    });
  };
  (*run)(0, true);
}

void overlay_node::stop() {
  set_state(node_state::stopped);
  timers_.stop();
  transactions_.cancel_all();
}

// --- sending ------------------------------------------------------------------

wire::forwarding_header overlay_node::new_header(std::vector<destination> destinations,
                                                 wire::transaction_id transaction) const {
  wire::forwarding_header header;
  header.overlay = config_.overlay;
  header.configuration_sequence = config_.sequence;
  header.ttl = config_.initial_ttl;
  header.transaction_id = transaction;
  header.destination_list = std::move(destinations);
  return header;
}

std::optional<std::vector<std::uint8_t>> overlay_node::seal(
    wire::forwarding_header header, const wire::message_body& body,
    std::vector<wire::generic_certificate> certificates) {
  auto encoded_body = wire::encode_body(body);
  if (!encoded_body) return std::nullopt;
  wire::message message;
  message.header = std::move(header);
  message.contents.code = body.code;
  message.contents.body = std::move(*encoded_body);
  auto security =
      security_.sign(message.header.overlay, message.header.transaction_id, message.contents);
  if (!security) return std::nullopt;
  message.security = std::move(*security);
  for (auto& certificate : certificates) {
    if (std::find(message.security.certificates.begin(), message.security.certificates.end(),
                  certificate) == message.security.certificates.end()) {
      message.security.certificates.push_back(std::move(certificate));
    }
  }
  auto bytes = wire::to_bytes(message);
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

void overlay_node::route_encoded(std::span<const std::uint8_t> message,
                                 std::span<const node_id> avoid) {
  auto parsed = wire::decode_forwarding_part(message, std::numeric_limits<std::uint32_t>::max());
  if (!parsed) return;
  route(std::move(parsed->header), parsed->payload, std::nullopt, avoid);
}

void overlay_node::send_request(std::vector<destination> destinations, wire::message_body body,
                                answer_handler on_done,
                                std::vector<wire::generic_certificate> certificates,
                                std::uint32_t max_response_length) {
  if (state_ == node_state::stopped) {
    on_done(request_error{request_failure::stopped, {}, "node stopped", {}});
    return;
  }
  // Cut off, only this node and the peers it is linked to (a newcomer
  // joining through it) are reachable.
  if (const auto* to =
          destinations.empty() ? nullptr : std::get_if<node_id>(&destinations.front().value);
      to != nullptr && topology_->isolated() && *to != self_ && !connected(*to)) {
    on_done(request_error{
        request_failure::isolated, {}, "this node has lost every link to its overlay", {}});
    return;
  }
  const wire::transaction_id transaction{random_()};
  auto header = new_header(std::move(destinations), transaction);
  header.max_response_length = max_response_length;
  auto bytes = seal(std::move(header), body, std::move(certificates));
  if (!bytes) {
    on_done(request_error{request_failure::bad_answer, {}, "request could not be encoded", {}});
    return;
  }
  if (bytes->size() + via_allowance(config_) > config_.max_message_size) {
    on_done(request_error{request_failure::too_large,
                          reload_error_code::message_too_large,
                          "the request is " + std::to_string(bytes->size()) +
                              " bytes, too large for max-message-size " +
                              std::to_string(config_.max_message_size),
                          {}});
    return;
  }
  ++counters_.originated;
  auto done = [this, on_done = std::move(on_done)](transaction_outcome outcome) {
    if (!outcome) {
      const auto failure = outcome.error() == transaction_error::timed_out
                               ? request_failure::timeout
                               : request_failure::stopped;
      on_done(request_error{failure, {}, to_string(outcome.error()), {}});
      return;
    }
    // deliver_answer() put the verified signer and hop count in the header's
    // Via List: the answer's path, responder first.
    wire::message message = std::move(outcome.value());
    answer result;
    const auto& via = message.header.via_list;
    result.hops = via.empty() ? 0 : via.size() - 1;
    result.responder = std::get<node_id>(via.front().value);
    auto body = wire::decode_body(message.contents.code, message.contents.body, models_);
    if (!body) {
      on_done(request_error{
          request_failure::bad_answer, {}, body.error().describe(), result.responder});
      return;
    }
    if (auto* error = std::get_if<wire::error_response>(&body->value)) {
      on_done(request_error{request_failure::error_response, error->error_code,
                            std::string(error->error_info.begin(), error->error_info.end()),
                            result.responder});
      return;
    }
    result.body = std::move(*body);
    result.message = std::move(message);
    on_done(std::move(result));
  };
  // Each retransmission leaves by a link the earlier copies did not take.
  auto taken = std::make_shared<std::vector<node_id>>();
  transactions_.begin(
      transaction, std::move(*bytes),
      [this, taken](std::span<const std::uint8_t> request) {
        last_first_hop_.reset();
        route_encoded(request, *taken);
        if (last_first_hop_) taken->push_back(*last_first_hop_);
      },
      std::move(done));
}

void overlay_node::attach(std::vector<destination> destinations, bool send_update,
                          std::function<void(wire::basic_result<node_id, request_error>)> on_done) {
  transport_.offer_attach([this, life = std::weak_ptr(life_),
                           destinations = std::move(destinations), send_update,
                           on_done = std::move(on_done)](attach_offer_id offer,
                                                         wire::attach_req_ans request) mutable {
    if (life.expired()) return;  // the transport forgets its offers with the node
    request.role = wire::attach_offerer_role();
    request.send_update = send_update;
    send_request(std::move(destinations), {message_code::attach_req, std::move(request)},
                 [this, offer, on_done = std::move(on_done)](answer_result result) mutable {
                   answered_attach(offer, std::move(result), std::move(on_done));
                 });
  });
}

void overlay_node::answered_attach(attach_offer_id offer, answer_result result,
                                   attach_callback on_done) {
  if (!result) {
    transport_.withdraw_offer(offer);
    on_done(result.error());
    return;
  }
  const node_id peer = result->responder;
  const auto* remote = std::get_if<wire::attach_req_ans>(&result->body.value);
  if (peer == self_ || connected(peer) || !remote) {
    transport_.withdraw_offer(offer);
    if (remote) {
      on_done(peer);
    } else {
      on_done(request_error{request_failure::bad_answer, {}, "not an AttachAns", peer});
    }
    return;
  }
  pending_links_.emplace(peer, std::move(on_done));
  transport_.open_link(offer, peer, *remote);
  // A link that never comes up fails the attach, once.
  timers_.schedule(config_.reliability_timer * 5, [this, peer] {
    for (auto& callback : take_pending_links(peer)) {
      callback(request_error{request_failure::timeout, {}, "link did not come up", peer});
    }
  });
}

void overlay_node::app_attach(
    const node_id& peer, wire::app_attach_req request,
    std::function<void(wire::basic_result<wire::app_attach_ans, request_error>)> on_done) {
  send_request({destination::node(peer)}, {message_code::app_attach_req, std::move(request)},
               [peer, on_done = std::move(on_done)](answer_result result) {
                 if (!result) return on_done(result.error());
                 const auto* answer = std::get_if<wire::app_attach_ans>(&result->body.value);
                 if (result->body.code != message_code::app_attach_ans || answer == nullptr) {
                   return on_done(request_error{
                       request_failure::bad_answer, {}, "not an AppAttachAns", result->responder});
                 }
                 if (result->responder != peer) {
                   return on_done(request_error{request_failure::bad_answer,
                                                {},
                                                "AppAttachAns signed by another node",
                                                result->responder});
                 }
                 on_done(*answer);
               });
}

void overlay_node::set_app_attach_responder(wire::application_id application,
                                            app_attach_responder responder) {
  if (responder) {
    app_attach_handlers_[application.value] = std::move(responder);
  } else {
    app_attach_handlers_.erase(application.value);
  }
}

void overlay_node::set_app_attach_handler(wire::application_id application,
                                          app_attach_handler handler) {
  if (!handler) return set_app_attach_responder(application, {});
  set_app_attach_responder(application,
                           [handler = std::move(handler)](const wire::app_attach_req& request,
                                                          const node_id& sender,
                                                          const app_attach_reply& reply) {
                             reply(handler(request, sender));
                           });
}

std::vector<overlay_node::attach_callback> overlay_node::take_pending_links(const node_id& peer) {
  auto range = pending_links_.equal_range(peer);
  std::vector<attach_callback> waiting;
  for (auto it = range.first; it != range.second; ++it) waiting.push_back(std::move(it->second));
  pending_links_.erase(range.first, range.second);
  return waiting;
}

std::optional<time_point> overlay_node::linked_since(const node_id& peer) const {
  auto it = links_.find(peer);
  if (it == links_.end()) return std::nullopt;
  return it->second.up;
}

std::optional<node_id> overlay_node::any_link() const {
  if (links_.empty()) return std::nullopt;
  return links_.begin()->first;
}

std::vector<node_id> overlay_node::linked_peers() const {
  std::vector<node_id> peers;
  peers.reserve(links_.size());
  for (const auto& [peer, state] : links_) peers.push_back(peer);
  return peers;
}

void overlay_node::handle(message_code code, request_handler handler) {
  handlers_[static_cast<std::uint16_t>(code)] = std::move(handler);
}

// --- transport_events ---------------------------------------------------------

void overlay_node::on_link_up(const node_id& peer) {
  if (state_ == node_state::stopped) return;
  links_.insert_or_assign(peer, link_state{timers_.now(), timers_.now(), std::nullopt});
  topology_->on_link_up(peer);
  for (auto& callback : take_pending_links(peer)) callback(peer);
}

void overlay_node::on_link_down(const node_id& peer) {
  if (state_ == node_state::stopped) return;
  if (links_.erase(peer) == 0) return;
  probing_.erase(peer);
  topology_->on_link_down(peer);
}

void overlay_node::on_link_idle(const node_id& peer) {
  if (state_ == node_state::stopped) return;
  auto link = links_.find(peer);
  if (link == links_.end()) return;
  auto& unneeded_since = link->second.unneeded_since;
  if (state_ == node_state::joined && !topology_->needs_link(peer)) {
    // A far end that needs the link Pings it within its own idle period.
    if (unneeded_since && link->second.heard < *unneeded_since) {
      ++counters_.unused_links_closed;
      close_link(peer);
      return;
    }
    unneeded_since = timers_.now();
    return;
  }
  unneeded_since.reset();
  ++counters_.keepalive_pings;
  send_request({destination::node(peer)}, {message_code::ping_req, wire::ping_req{}},
               [](answer_result) {});
}

void overlay_node::on_message(const node_id& from, std::span<const std::uint8_t> message) {
  if (state_ == node_state::stopped) return;
  ++counters_.received;
  if (auto link = links_.find(from); link != links_.end()) link->second.heard = timers_.now();
  // Reassembly bounds the whole message; a single link frame is bounded by
  // the link, so the header is parsed under the same cap.
  auto parsed = wire::decode_forwarding_part(message, config_.max_message_size);
  if (!parsed) {
    ++counters_.dropped_malformed;
    return;
  }
  if (parsed->header.overlay != config_.overlay) {
    ++counters_.dropped_wrong_overlay;  // §6.1: not ours to process
    return;
  }
  auto header = std::move(parsed->header);
  // Via: the link peer joins the return path (§6.1.2).
  header.via_list.push_back(destination::node(from));
  if (header.ttl > config_.initial_ttl) {
    ++counters_.ttl_exceeded;  // §6.3.2: above initial-ttl is refused outright
    refuse(header, parsed->payload, reload_error_code::ttl_exceeded, "TTL above initial-ttl");
    return;
  }
  if (has_duplicate(header.destination_list)) {
    ++counters_.loops_refused;
    refuse(header, parsed->payload, reload_error_code::invalid_message,
           "Destination List repeats an entry (possible loop)");
    return;
  }
  route(std::move(header), parsed->payload, from);
}

// --- routing ------------------------------------------------------------------

void overlay_node::route(wire::forwarding_header header, std::span<const std::uint8_t> payload,
                         const std::optional<node_id>& from, std::span<const node_id> avoid) {
  const bool from_link = from.has_value();
  if (auto code = peek_code(header, payload); code && !wire::is_request(*code)) {
    tracked_.erase(header.transaction_id);
  }
  const auto next_hop = [&](const node_id& key) {
    return avoid.empty() ? topology_->next_hop(key) : topology_->next_hop_avoiding(key, avoid);
  };
  for (int step = 0; step < max_routing_steps; ++step) {
    auto& list = header.destination_list;
    if (list.empty()) {
      deliver(header, payload);
      return;
    }
    auto& first = list.front().value;
    if (const auto* compressed = std::get_if<wire::compressed_id>(&first)) {
      // §6.1.3: our own compressed Via List; restore it and look again.
      auto saved = via_compression_.expand(*compressed, timers_.now());
      if (!saved) {
        ++counters_.dropped_unroutable;
        return;
      }
      list.erase(list.begin());
      auto restored = reversed(*saved);
      list.insert(list.begin(), restored.begin(), restored.end());
      continue;
    }
    if (const auto* node = std::get_if<node_id>(&first)) {
      if (*node == self_) {
        if (list.size() == 1) {
          deliver(header, payload);
          return;
        }
        list.erase(list.begin());
        continue;
      }
      if (*node == wildcard_node) {
        deliver(header, payload);
        return;
      }
      if (connected(*node)) {
        forward(*node, std::move(header), payload, from_link);
        return;
      }
      if (topology_->is_responsible(*node)) {
        // §6.1.1: a Node-ID in our range that is not ours or a client's.
        ++counters_.dropped_unroutable;
        return;
      }
      if (auto next = next_hop(*node)) {
        forward(*next, std::move(header), payload, from_link);
      } else {
        ++counters_.dropped_unroutable;
      }
      return;
    }
    if (const auto* resource = std::get_if<wire::resource_id>(&first)) {
      const auto key = resource_key(*resource);
      if (!key) {
        refuse(header, payload, reload_error_code::invalid_message,
               "Resource-ID is not 128 bits (CHORD-RELOAD §10.2)");
        return;
      }
      if (topology_->is_responsible(*key)) {
        // §6.1.1: a Resource-ID must be the last entry.
        if (list.size() == 1) {
          deliver(header, payload);
        } else {
          ++counters_.dropped_unroutable;
        }
        return;
      }
      if (auto next = next_hop(*key)) {
        forward(*next, std::move(header), payload, from_link);
      } else {
        ++counters_.dropped_unroutable;
      }
      return;
    }
    // Opaque ids are never issued by this node; unknown types cannot be routed.
    ++counters_.dropped_unroutable;
    return;
  }
  ++counters_.dropped_malformed;
}

void overlay_node::forward(const node_id& next, wire::forwarding_header header,
                           std::span<const std::uint8_t> payload, bool from_link) {
  if (from_link) {
    // §6.3.2: a message that arrived with TTL 0 and is not ours goes no further.
    if (header.ttl == 0) {
      ++counters_.ttl_exceeded;
      refuse(header, payload, reload_error_code::ttl_exceeded, "TTL exceeded");
      return;
    }
    --header.ttl;
    ++counters_.forwarded;
  } else {
    last_first_hop_ = next;
  }
  // Only whole requests: fragments compressed one by one would no longer
  // match for reassembly, and answers need no return path.
  const auto code = peek_code(header, payload);
  const bool request = code && wire::is_request(*code);
  if (request && header.via_list.size() > config_.compress_via_after &&
      header.fragment == wire::unfragmented) {
    if (auto id = via_compression_.compress(header.via_list, timers_.now())) {
      header.via_list.assign(1, destination{*id});
    }
  }
  if (request) track_request(header.transaction_id, next);
  if (!transmit(next, header, payload)) ++counters_.dropped_unroutable;
}

// Bounds the requests watched at once; beyond it, detection waits for the link.
constexpr std::size_t max_tracked_requests = 256;

// How long a forwarded request may go unanswered, and a suspect's Ping, before
// they count: half the overlay-reliability-timer, so that a dead peer is cut
// out while the originator still has retransmissions left.
duration suspicion_delay(const overlay_config& config) { return config.reliability_timer / 2; }

void overlay_node::track_request(wire::transaction_id transaction, const node_id& next) {
  if (tracked_.size() >= max_tracked_requests) return;
  tracked_.insert_or_assign(transaction, tracked_request{next, timers_.now()});
  if (sweep_scheduled_) return;
  sweep_scheduled_ = true;
  timers_.schedule(suspicion_delay(config_), [this] { sweep_requests(); });
}

void overlay_node::sweep_requests() {
  sweep_scheduled_ = false;
  const auto now = timers_.now();
  std::vector<node_id> suspects;
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    if (now - it->second.sent < suspicion_delay(config_)) {
      ++it;
      continue;
    }
    // Silence from the peer since the request went out, not merely a lost
    // answer further along, makes it suspect.
    auto link = links_.find(it->second.next);
    if (link != links_.end() && link->second.heard < it->second.sent) {
      suspects.push_back(it->second.next);
    }
    it = tracked_.erase(it);
  }
  for (const auto& peer : suspects) suspect(peer);
  if (!tracked_.empty()) {
    sweep_scheduled_ = true;
    timers_.schedule(suspicion_delay(config_), [this] { sweep_requests(); });
  }
}

void overlay_node::suspect(const node_id& peer) {
  if (!connected(peer) || !probing_.insert(peer).second) return;
  ++counters_.links_suspected;
  const auto since = timers_.now();
  send_request({destination::node(peer)}, {message_code::ping_req, wire::ping_req{}},
               [](answer_result) {});
  timers_.schedule(suspicion_delay(config_), [this, peer, since] {
    if (!probing_.erase(peer)) return;
    auto link = links_.find(peer);
    if (link == links_.end() || link->second.heard >= since) return;
    ++counters_.links_failed;
    close_link(peer);
  });
}

bool overlay_node::transmit(const node_id& next, const wire::forwarding_header& header,
                            std::span<const std::uint8_t> payload) {
  auto pieces = fragment_message(header, payload, transport_.max_message_size(next));
  if (!pieces) {
    // §6.7: too small a link to fragment for: send whole.
    auto whole = wire::encode_forwarded(header, payload);
    if (!whole) return false;
    counters_.bytes_sent += whole->size();
    return transport_.send(next, std::move(*whole));
  }
  if (pieces->size() > 1) counters_.fragments_sent += pieces->size();
  bool sent = true;
  for (auto& piece : *pieces) {
    counters_.bytes_sent += piece.size();
    sent = transport_.send(next, std::move(piece)) && sent;
  }
  return sent;
}

void overlay_node::count_error_sent(reload_error_code code) {
  ++counters_.errors_sent;
  ++counters_.errors_sent_by_code[code];
}

void overlay_node::refuse(const wire::forwarding_header& header,
                          std::span<const std::uint8_t> payload, reload_error_code code,
                          const char* info) {
  answer_with_error(header, peek_code(header, payload), code, info);
}

void overlay_node::answer_with_error(const wire::forwarding_header& header,
                                     std::optional<message_code> message, reload_error_code code,
                                     const std::string& info) {
  // Answers and later fragments are dropped: errors answer requests only.
  if (!message || !wire::is_request(*message) || header.via_list.empty()) return;
  auto bytes = seal(new_header(reversed(header.via_list), header.transaction_id),
                    {message_code::error, wire::make_error_response(code, info)});
  if (!bytes) return;
  count_error_sent(code);
  route_encoded(*bytes);
}

// --- local delivery -------------------------------------------------------------

void overlay_node::deliver(const wire::forwarding_header& header,
                           std::span<const std::uint8_t> payload) {
  std::optional<std::vector<std::uint8_t>> whole;
  wire::message message;
  if (header.fragment != wire::unfragmented) {
    whole = reassembler_.add({header, payload}, timers_.now());
    if (!whole) return;  // more fragments to come, or dropped
    auto decoded = wire::decode_message(*whole, config_.max_message_size);
    if (!decoded) {
      ++counters_.dropped_malformed;
      return;
    }
    message = std::move(*decoded);
    message.header.via_list = header.via_list;
  } else {
    wire::byte_reader r(payload);
    decode(r, message.contents);
    decode(r, message.security);
    r.expect_end("trailing bytes");
    if (!r.ok()) {
      ++counters_.dropped_malformed;
      refuse(header, payload, reload_error_code::invalid_message, "malformed message");
      return;
    }
    message.header = header;
  }
  ++counters_.delivered;
  auto signer = security_.verify(message);
  if (!signer) {
    ++counters_.dropped_bad_signature;
    refuse(message.header, payload, reload_error_code::forbidden, signer.error().reason.c_str());
    return;
  }
  if (wire::is_request(message.contents.code)) {
    deliver_request(std::move(message), *signer);
  } else {
    deliver_answer(std::move(message), *signer);
  }
}

void overlay_node::deliver_answer(wire::message message, const node_id& signer) {
  // The completion reads the responder and path length from the Via List:
  // the responder goes in front of the links the answer crossed.
  auto& via = message.header.via_list;
  via.insert(via.begin(), destination::node(signer));
  transactions_.answer(message.header.transaction_id, std::move(message));
}

void overlay_node::deliver_request(wire::message message, const node_id& signer) {
  const auto transaction = message.header.transaction_id;
  // §6.2.1: a retransmitted request gets an equivalent answer. Processing it
  // again gives one for most requests, but not for Store, whose answer
  // (generation) changes, nor for Attach and AppAttach: each answer starts
  // an ICE agent with fresh credentials, and the offerer may pair with the
  // wrong one. Only those are remembered, which keeps the cache small.
  const auto asked = message.contents.code;
  const bool remembered = asked == message_code::store_req || asked == message_code::attach_req ||
                          asked == message_code::app_attach_req;
  const auto seen = remembered ? responses_.on_request(transaction, signer, timers_.now())
                               : request_lookup{request_state::fresh, {}};
  if (seen.state == request_state::in_progress) {
    ++counters_.dropped_duplicate;
    return;
  }
  if (seen.state == request_state::answered) {
    ++counters_.dropped_duplicate;
    // The copy may have come another way: answer along its own Via List.
    if (auto cached = wire::decode_forwarding_part(seen.response, config_.max_message_size)) {
      auto header = cached->header;
      header.destination_list = reversed(message.header.via_list);
      if (auto bytes = wire::encode_forwarded(header, cached->payload)) route_encoded(*bytes);
    }
    return;
  }
  auto request = std::make_shared<incoming_request>();
  request->hops = message.header.via_list.size();
  request->sender = signer;
  auto body = wire::decode_body(message.contents.code, message.contents.body, models_);
  request->message = std::move(message);
  responder reply(life_, request);
  if (!body) {
    reply.answer({message_code::error, wire::to_error_response(body.error())});
    return;
  }
  request->body = std::move(*body);
  for (const auto& extension : request->message.contents.extensions) {
    if (extension.critical) {
      reply.error(reload_error_code::unknown_extension, "critical extension not understood");
      return;
    }
  }
  const auto code = request->body.code;
  if (topology_->handles(code)) {
    topology_->on_request(*request, std::move(reply));
    return;
  }
  switch (code) {
    case message_code::ping_req: {
      wire::ping_ans pong;
      pong.response_id = random_();
      pong.time = wall_clock_ms();
      reply.answer({message_code::ping_ans, pong});
      return;
    }
    case message_code::attach_req: {
      const auto& offer = std::get<wire::attach_req_ans>(request->body.value);
      const bool send_update = offer.send_update;
      transport_.answer_attach(signer, offer,
                               [this, life = std::weak_ptr(life_), reply, signer,
                                send_update](wire::attach_req_ans answer) mutable {
                                 if (life.expired() || state_ == node_state::stopped) return;
                                 answer.role = wire::attach_answerer_role();
                                 reply.answer({message_code::attach_ans, std::move(answer)});
                                 // After the answer, so that over a link both
                                 // share it comes second.
                                 if (send_update) topology_->on_update_requested(signer);
                               });
      return;
    }
    case message_code::config_update_req:
      reply.answer({message_code::config_update_ans, wire::config_update_ans{}});
      return;
    case message_code::app_attach_req: {
      const auto& wanted = std::get<wire::app_attach_req>(request->body.value);
      auto served = app_attach_handlers_.find(wanted.application.value);
      if (served == app_attach_handlers_.end()) {
        reply.error(reload_error_code::not_found, "application not supported here");
        return;
      }
      served->second(wanted, signer,
                     [this, life = std::weak_ptr(life_), reply, application = wanted.application](
                         std::optional<wire::app_attach_ans> answer) mutable {
                       if (life.expired() || state_ == node_state::stopped) return;
                       if (!answer) {
                         reply.error(reload_error_code::forbidden,
                                     "application refused to this node");
                         return;
                       }
                       answer->application = application;
                       reply.answer({message_code::app_attach_ans, std::move(*answer)});
                     });
      return;
    }
    default: break;
  }
  auto handler = handlers_.find(static_cast<std::uint16_t>(code));
  if (handler == handlers_.end()) {
    reply.error(reload_error_code::forbidden, "no service for this request here");
    return;
  }
  handler->second(*request, std::move(reply));
}

void overlay_node::send_answer(const incoming_request& request, wire::message_body body) {
  if (state_ == node_state::stopped) return;
  const auto& via = request.message.header.via_list;
  auto bytes = seal(new_header(reversed(via), request.message.header.transaction_id), body);
  // §6.3.2: max_response_length bounds what the requester wants back, and
  // max-message-size what any node takes in (§6.6). The answer's Destination
  // List shrinks as its Via List grows, so its size on arrival is this one.
  const auto limit = request.message.header.max_response_length;
  if (bytes && limit != 0 && bytes->size() > limit) {
    bytes = seal(new_header(reversed(via), request.message.header.transaction_id),
                 {message_code::error,
                  wire::make_error_response(reload_error_code::response_too_large,
                                            "the response is " + std::to_string(bytes->size()) +
                                                " bytes, over max_response_length " +
                                                std::to_string(limit))});
  } else if (bytes && bytes->size() > config_.max_message_size) {
    bytes = seal(new_header(reversed(via), request.message.header.transaction_id),
                 {message_code::error,
                  wire::make_error_response(reload_error_code::response_too_large,
                                            "the response is " + std::to_string(bytes->size()) +
                                                " bytes, over max-message-size " +
                                                std::to_string(config_.max_message_size))});
  }
  if (!bytes) return;
  ++counters_.originated;
  if (const auto* error = std::get_if<wire::error_response>(&body.value);
      error != nullptr && body.code == message_code::error) {
    count_error_sent(error->error_code);
  }
  route_encoded(*bytes);
  if (request.message.contents.code == message_code::store_req) {
    responses_.store_response(request.message.header.transaction_id, request.sender,
                              std::move(*bytes), timers_.now());
  }
}

}  // namespace p2psip::overlay
