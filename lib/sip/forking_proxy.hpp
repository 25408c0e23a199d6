// The stateful forking proxy (RFC 3261 §16, RFC 7904 §4-§5). One server
// transaction per request and one client transaction per branch: to local
// contacts, or to other daemons through node_channel's loopback streams
// (the request is sent as SIP over TCP to the splice's port). The best
// final response goes upstream (§16.7). Also its stateless parts: ACKs for
// 2xx, and responses no transaction matches. Sip thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "sip/bindings.hpp"
#include "sip/dialog_tracker.hpp"
#include "sip/front_internal.hpp"
#include "sip/node_channel.hpp"
#include "sip/overlay_directory.hpp"
#include "sip/routing.hpp"
#include "sip/sdp_rewriter.hpp"

namespace p2psip::sip {

class forking_proxy;

// One downstream client transaction of a proxied request.
struct branch final : response_handler {
  proxy_txn* txn = nullptr;
  nta_outgoing_t* orq = nullptr;
  int status = 0;
  bool done = false;
  bool remote = false;
  int on_response(nta_outgoing_t* orq, const sip_t* sip) override;
};

// One proxied request: the upstream server transaction and its branches.
struct proxy_txn {
  forking_proxy* proxy = nullptr;
  std::uint64_t id = 0;
  nta_incoming_t* irq = nullptr;
  msg_t* request = nullptr;  // reference to the incoming request
  sip_method_t method = sip_method_unknown;
  std::list<branch> branches;
  int pending_opens = 0;  // node_channel opens still running
  bool final_sent = false;
  bool cancelled = false;
  msg_t* best = nullptr;  // best final non-2xx so far
  int best_status = 0;
  std::string call_id;
  std::string host_name_hop;    // a target left out: its next hop needs DNS
  bool may_go_offline = false;  // a MESSAGE sip_front_config::store_offline may keep
  bool media_refused = false;   // a target left out: the sdp_rewriter refused its SDP
  bool late_offer = false;      // an INVITE without SDP: the offer comes in a response
  bool from_daemon = false;     // handed to us by another daemon (p2p-local)
};

class forking_proxy {
 public:
  forking_proxy(nta_agent_t* agent, su_home_t* home, const sip_front_config& cfg,
                const front_address& where, const binding_table& bindings,
                overlay_directory& directory, node_channel& channel, const thread_bridge& bridge,
                dialog_tracker& dialogs, sdp_rewriter& sdp);
  // Ends every transaction still running (answered 500 when unanswered).
  ~forking_proxy();
  forking_proxy(const forking_proxy&) = delete;
  forking_proxy& operator=(const forking_proxy&) = delete;

  // Takes nta's default transactions for stray responses; false when nta
  // cannot create them.
  bool catch_strays();

  // An out-of-dialog SUBSCRIBE from a local watcher whose AOR is registered
  // nowhere (404) or nowhere reachable (480) is offered to `adopt` (the
  // presence agent) before it is refused; `adopt` returns true when it
  // answered the request and destroyed the transaction handle.
  using subscribe_adopter = std::function<bool(nta_incoming_t*, const sip_t*)>;
  void adopt_unrouted_subscribes(subscribe_adopter adopt) { adopt_ = std::move(adopt); }

  // Proxies an authorized request that is not for this daemon: along
  // `next_route` when one is left (after our own entry, removed when
  // `pop_route`), in dialog to its Request-URI, else to its AOR. Returns the
  // status for nta to answer with, 0 when the proxy answers.
  int forward(nta_incoming_t* irq, const sip_t* sip, bool pop_route, const sip_route_t* next_route);
  // ACK for a 2xx is end-to-end: forwarded statelessly.
  void forward_ack(nta_incoming_t* irq);

  int on_branch_response(branch* b, nta_outgoing_t* orq, const sip_t* sip);
  int on_upstream_event(proxy_txn* t, nta_incoming_t* irq, const sip_t* sip);

 private:
  // Responses no client transaction matches.
  struct stray_catcher final : response_handler {
    forking_proxy* proxy = nullptr;
    int on_response(nta_outgoing_t* orq, const sip_t* sip) override;
  };

  bool prepare_forward(msg_t* msg, sip_t* sip, const url_t* new_ruri, bool add_rr, bool remote);
  bool rewrite_sdp(msg_t* msg, sip_t* sip, const sdp_context& ctx);
  void end_dialog(const std::string& call_id, bool only_early);
  void send_via_node(std::shared_ptr<msg_t> msg, const wire::node_id& node);
  void send_stateless(const std::shared_ptr<msg_t>& msg, const std::string& route_url = {});
  proxy_txn* new_txn(nta_incoming_t* irq, const sip_t* sip);
  void route_request_uri(const url_t* ruri, std::function<void(const route_decision&)> done);
  void apply_decision(std::uint64_t id, const route_decision& d);
  void add_branch(proxy_txn* t, const std::string& target_uri, const stream_endpoint* via_node);
  void open_node_branch(proxy_txn* t, const wire::node_id& node);
  void finish_branch_wait(proxy_txn* t);
  void txn_reply(proxy_txn* t, int status, const char* phrase, const std::string& reason = {});
  // Hands a MESSAGE that found no reachable contact to store_offline; true
  // when it did (the answer comes from there).
  bool divert_offline(proxy_txn* t, int status);
  // Offers a SUBSCRIBE that found no destination to adopt_; true when taken.
  bool hand_to_adopter(proxy_txn* t);
  void maybe_done(proxy_txn* t);
  void cancel_pending(proxy_txn* t, const branch* except);
  void destroy_txn(proxy_txn* t);
  void forward_response(proxy_txn* t, nta_outgoing_t* orq, bool remote);
  int on_stray_response(nta_outgoing_t* orq, const sip_t* sip);

  nta_agent_t* agent_;
  su_home_t* home_;
  const sip_front_config& cfg_;
  const front_address& where_;
  const binding_table& bindings_;
  overlay_directory& directory_;
  node_channel& channel_;
  const thread_bridge& bridge_;
  dialog_tracker& dialogs_;
  sdp_rewriter& sdp_;
  subscribe_adopter adopt_;
  bool media_refused_ = false;  // the last rewrite_sdp failed in the rewriter

  std::unordered_map<std::uint64_t, std::unique_ptr<proxy_txn>> txns_;
  std::uint64_t next_id_ = 1;
  nta_incoming_t* stray_irq_ = nullptr;
  nta_outgoing_t* stray_orq_ = nullptr;
  stray_catcher strays_;
};

}  // namespace p2psip::sip
