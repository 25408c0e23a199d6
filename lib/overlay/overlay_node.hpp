// One RELOAD node: symmetric recursive routing (RFC 6940 §6.1, §6.2), end-to-
// end transactions with retransmission, fragmentation, signatures on every
// message, and dispatch of delivered requests to the topology plug-in and the
// upper layers. It owns no socket and no clock: links come through a
// message_transport, time through a timer_service, both injected.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "overlay/fragment_reassembler.hpp"
#include "overlay/message_security.hpp"
#include "overlay/message_transport.hpp"
#include "overlay/overlay_config.hpp"
#include "overlay/request.hpp"
#include "overlay/response_cache.hpp"
#include "overlay/timer_group.hpp"
#include "overlay/topology_plugin.hpp"
#include "overlay/transaction_table.hpp"
#include "overlay/via_compression.hpp"
#include "wire/stored_data.hpp"

namespace p2psip::overlay {

enum class node_state { idle, joining, joined, leaving, stopped };
const char* to_string(node_state state) noexcept;

// Counters for the control plane's metrics and the simulator's report.
struct node_counters {
  std::uint64_t received = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t delivered = 0;   // messages consumed by this node
  std::uint64_t originated = 0;  // requests and answers this node sent
  std::uint64_t dropped_malformed = 0;
  std::uint64_t dropped_wrong_overlay = 0;
  std::uint64_t dropped_unroutable = 0;
  std::uint64_t dropped_bad_signature = 0;
  std::uint64_t dropped_duplicate = 0;
  std::uint64_t ttl_exceeded = 0;
  std::uint64_t loops_refused = 0;
  std::uint64_t fragments_sent = 0;
  std::uint64_t errors_sent = 0;  // every ErrorResponse this node sent ...
  std::map<wire::reload_error_code, std::uint64_t> errors_sent_by_code;  // ... by code
  std::uint64_t bytes_sent = 0;
  std::uint64_t keepalive_pings = 0;  // Pings sent on idle links
  std::uint64_t unused_links_closed = 0;  // idle links neither end needed
  std::uint64_t links_suspected = 0;  // a request sent that way went unanswered
  std::uint64_t links_failed = 0;     // ... and the peer did not answer a Ping either
};

class overlay_node final : public transport_events {
 public:
  using topology_factory = std::function<std::unique_ptr<topology_plugin>(overlay_node&)>;

  overlay_node(const node_id& self, overlay_config config, timer_service& timers,
               message_transport& transport, message_security& security,
               const topology_factory& make_topology, std::uint64_t seed);
  ~overlay_node();
  overlay_node(const overlay_node&) = delete;
  overlay_node& operator=(const overlay_node&) = delete;

  const node_id& self() const noexcept { return self_; }
  const overlay_config& config() const noexcept { return config_; }
  node_state state() const noexcept { return state_; }
  topology_plugin& topology() noexcept { return *topology_; }
  const topology_plugin& topology() const noexcept { return *topology_; }
  timer_group& timers() noexcept { return timers_; }
  std::mt19937_64& random() noexcept { return random_; }
  const node_counters& counters() const noexcept { return counters_; }
  message_transport& transport() noexcept { return transport_; }

  // --- life cycle -----------------------------------------------------------
  void start_new_overlay();
  // Joins through a peer this node already has a link to.
  void join(const node_id& bootstrap);
  // Runs the before-leave hooks (replica hand-over), then the topology's
  // Leave, then stops; `done` runs last, with whether every hook finished
  // its work (false: some data may not have been handed over).
  void leave(std::function<void(bool handed_over)> done);
  // Stops dead: every timer and pending transaction is silenced.
  void stop();

  // --- sending --------------------------------------------------------------
  // Originates a request towards `destinations` (§6.2.1), retransmitting with
  // the same transaction id until answered; `on_done` runs exactly once.
  // `certificates` join this node's own in the SecurityBlock, for bodies
  // that carry data others signed (replica Stores, §7.4.1.1). A request
  // whose message would exceed max-message-size fails at once (too_large),
  // and so does a request to another node while this one is isolated. A nonzero
  // `max_response_length` bounds the answer (§6.3.2).
  void send_request(std::vector<wire::destination> destinations, wire::message_body body,
                    answer_handler on_done,
                    std::vector<wire::generic_certificate> certificates = {},
                    std::uint32_t max_response_length = 0);
  // Attach (§6.5.1) towards `destinations`; `on_done` gets the peer that is
  // now linked, or why not.
  void attach(std::vector<wire::destination> destinations, bool send_update,
              std::function<void(wire::basic_result<node_id, request_error>)> on_done);
  // AppAttach (§6.5.2) to the node `peer`: sends `request` (its application
  // id names the protocol) and yields the peer's AppAttachAns, or why not (an
  // Error_Not_Found error_response when the peer does not serve the
  // application). The overlay only carries the candidates: the caller opens
  // the application connection itself.
  void app_attach(
      const node_id& peer, wire::app_attach_req request,
      std::function<void(wire::basic_result<wire::app_attach_ans, request_error>)> on_done);
  bool connected(const node_id& peer) const { return links_.contains(peer); }
  // When the link to `peer` came up; nullopt without a link.
  std::optional<time_point> linked_since(const node_id& peer) const;
  // Some linked peer, e.g. as a way back in; nullopt with no link at all.
  std::optional<node_id> any_link() const;
  std::vector<node_id> linked_peers() const;
  void close_link(const node_id& peer) { transport_.close_link(peer); }

  // --- upper layers ---------------------------------------------------------
  // The handler for requests with `code` (Store, Fetch, AppAttach ...).
  void handle(wire::message_code code, request_handler handler);
  // What this node answers an AppAttachReq for `application` with: the
  // responder gets the request and its verified sender, and later passes
  // `reply` the AppAttachAns (its candidates, ufrag, password, role), or
  // nullopt to refuse this requester (Error_Forbidden); later, since an ICE
  // answer waits for its candidates to be gathered. Applications without one
  // are answered Error_Not_Found (§6.5.2.2).
  using app_attach_reply = std::function<void(std::optional<wire::app_attach_ans>)>;
  using app_attach_responder = std::function<void(const wire::app_attach_req& request,
                                                  const node_id& sender, app_attach_reply reply)>;
  void set_app_attach_responder(wire::application_id application, app_attach_responder responder);
  // The same for an answer known at once.
  using app_attach_handler = std::function<std::optional<wire::app_attach_ans>(
      const wire::app_attach_req& request, const node_id& sender)>;
  void set_app_attach_handler(wire::application_id application, app_attach_handler handler);
  // Kinds' data models, for decoding storage bodies.
  void set_data_model_lookup(wire::data_model_lookup lookup) { models_ = std::move(lookup); }
  // Milliseconds since 1970 for PingAns and storage times; injected like time.
  void set_wall_clock(std::function<std::uint64_t()> clock) { wall_clock_ = std::move(clock); }
  std::uint64_t wall_clock_ms() const { return wall_clock_ ? wall_clock_() : 0; }
  // Called whenever the topology's view of neighbours or responsibility changes.
  void on_topology_change(std::function<void()> observer);
  void notify_topology_changed();
  // Runs before a graceful leave; each hook calls its continuation when
  // done, with whether it did all it had to.
  using leave_hook = std::function<void(std::function<void(bool complete)>)>;
  void before_leave(leave_hook hook);
  void on_state_change(std::function<void(node_state)> observer);
  void set_state(node_state state);

  // --- transport_events -----------------------------------------------------
  void on_message(const node_id& from, std::span<const std::uint8_t> message) override;
  void on_link_up(const node_id& peer) override;
  void on_link_down(const node_id& peer) override;
  // RFC 6940 defines no empty frame: an idle link this node needs carries a
  // Ping (§6.5.3). One it does not need carries nothing; once the far end
  // too has sent nothing for a whole idle period, neither end needs it and
  // it is closed: left open, the links of every join pile up.
  void on_link_idle(const node_id& peer) override;

 private:
  friend class responder;

  // The routing loop of §6.1 for a message whose header is parsed; `from`
  // is the link it came in on, nullopt for one this node originated.
  // `avoid`: first hops that earlier copies of this request took.
  void route(wire::forwarding_header header, std::span<const std::uint8_t> payload,
             const std::optional<node_id>& from, std::span<const node_id> avoid = {});
  void forward(const node_id& next, wire::forwarding_header header,
               std::span<const std::uint8_t> payload, bool from_link);
  bool transmit(const node_id& next, const wire::forwarding_header& header,
                std::span<const std::uint8_t> payload);
  void deliver(const wire::forwarding_header& header, std::span<const std::uint8_t> payload);
  void deliver_request(wire::message message, const node_id& signer);
  void deliver_answer(wire::message message, const node_id& signer);
  // An ErrorResponse for a request that could not be routed (TTL, loop).
  void refuse(const wire::forwarding_header& header, std::span<const std::uint8_t> payload,
              wire::reload_error_code code, const char* info);
  void count_error_sent(wire::reload_error_code code);
  // The ErrorResponse to the request `header` heads, when `message` is a
  // request's code; nothing otherwise.
  void answer_with_error(const wire::forwarding_header& header,
                         std::optional<wire::message_code> message, wire::reload_error_code code,
                         const std::string& info);
  void send_answer(const incoming_request& request, wire::message_body body);
  // Encodes, signs and routes a message this node originates.
  std::optional<std::vector<std::uint8_t>> seal(
      wire::forwarding_header header, const wire::message_body& body,
      std::vector<wire::generic_certificate> certificates = {});
  void route_encoded(std::span<const std::uint8_t> message, std::span<const node_id> avoid = {});
  // Failure detection by "the failure of some request" (§10.7.1): requests
  // sent over a link whose answer never came back through this node make
  // the peer suspect; a suspect that does not answer a Ping is closed.
  void track_request(wire::transaction_id transaction, const node_id& next);
  void sweep_requests();
  void suspect(const node_id& peer);
  wire::forwarding_header new_header(std::vector<wire::destination> destinations,
                                     wire::transaction_id transaction) const;

  node_id self_;
  overlay_config config_;
  timer_group timers_;
  message_transport& transport_;
  message_security& security_;
  std::mt19937_64 random_;
  std::unique_ptr<topology_plugin> topology_;
  transaction_table transactions_;
  response_cache responses_;
  fragment_reassembler reassembler_;
  via_compressor via_compression_;
  struct link_state {
    time_point up;     // when the link came up
    time_point heard;  // when the peer last sent anything over it
    // When an idle period found the link unneeded by this node.
    std::optional<time_point> unneeded_since;
  };
  std::unordered_map<node_id, link_state> links_;
  std::unordered_map<std::uint16_t, request_handler> handlers_;
  std::unordered_map<std::uint16_t, app_attach_responder> app_attach_handlers_;
  // Attaches waiting for the link to the answering peer to come up.
  using attach_callback = std::function<void(wire::basic_result<node_id, request_error>)>;
  std::unordered_multimap<node_id, attach_callback> pending_links_;
  // Removes and returns the attaches waiting for the link to `peer`.
  std::vector<attach_callback> take_pending_links(const node_id& peer);
  // The answer to an Attach this node offered: open the link, or release the offer.
  void answered_attach(attach_offer_id offer, answer_result result, attach_callback on_done);
  wire::data_model_lookup models_;
  std::function<std::uint64_t()> wall_clock_;
  std::vector<std::function<void()>> topology_observers_;
  std::vector<leave_hook> leave_hooks_;
  std::vector<std::function<void(node_state)>> state_observers_;
  node_state state_ = node_state::idle;
  // The link the last message this node originated went out on.
  std::optional<node_id> last_first_hop_;
  struct tracked_request {
    node_id next;
    time_point sent;
  };
  std::map<wire::transaction_id, tracked_request> tracked_;
  bool sweep_scheduled_ = false;
  std::unordered_set<node_id> probing_;
  node_counters counters_;
  // Responders hold a weak reference, so answers after destruction are no-ops.
  std::shared_ptr<overlay_node*> life_;
};

}  // namespace p2psip::overlay
