// Click-to-call (sip.call): third-party call control after RFC 3725 flow I,
// with this daemon as the controller. An INVITE without SDP rings the
// caller's own phones (its bindings on this front, reached by local-first
// routing); the 200 of the one that answers carries the offer; an INVITE
// with that offer goes to the callee, routed like any call; the callee's
// answer reaches the caller's phone in the ACK. Both legs are sent to this front's own port, so the
// proxy handles them as a phone's calls: Record-Route, dialog tracking,
// media anchoring. The controller's Contact (a URI of this front with
// p2p-c2c=ID) brings the parties' BYEs back here; a BYE from one party ends
// the other leg. Sip thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sip/dialog_tracker.hpp"
#include "sip/front_internal.hpp"
#include "sip/sdp_rewriter.hpp"

namespace p2psip::sip {

// The Contact URI parameter naming a click-to-call (call_controller).
inline constexpr const char* call_param = "p2p-c2c";

class call_controller {
 public:
  call_controller(nta_agent_t* agent, su_home_t* home, const sip_front_config& cfg,
                  const front_address& where, const thread_bridge& bridge, dialog_tracker& dialogs,
                  sdp_rewriter& sdp);
  // Abandons the calls under way: their callers hear nothing.
  ~call_controller();
  call_controller(const call_controller&) = delete;
  call_controller& operator=(const call_controller&) = delete;

  // Rings `from` (an AOR with contacts on this front), then connects the
  // phone that answers to `to`; `done` hears once, on the overlay thread.
  void start(const std::string& from, const std::string& to, std::function<void(call_answer)> done);
  // Ends the call `id` (or the call one of its legs' Call-ID belongs to):
  // BYE to each answered leg, CANCEL to a ringing one.
  hangup_answer hangup(const std::string& id);
  // A request whose Request-URI carries p2p-c2c=ID (a party's BYE).
  void handle(nta_incoming_t* irq, const sip_t* sip, const std::string& id);

 private:
  struct call;
  enum class leg_state { idle, inviting, answered, confirmed, ending, done };
  // One of the call's two dialogs, this daemon being its UAC.
  struct leg final : response_handler {
    call* owner = nullptr;
    std::string call_id;
    std::string local;       // our From, with its tag
    std::string remote_uri;  // the To URI
    std::string remote_tag;
    std::string target;              // the party's Contact, from its 2xx
    std::vector<std::string> route;  // the route set, nearest first
    std::string sdp;                 // the body of its 2xx
    leg_state state = leg_state::idle;
    nta_outgoing_t* invite = nullptr;
    nta_outgoing_t* bye = nullptr;
    int on_response(nta_outgoing_t* orq, const sip_t* sip) override;
  };
  struct call {
    call_controller* controller = nullptr;
    std::string id;
    leg caller;                             // the caller's own phones (leg A of RFC 3725)
    leg callee;                             // leg B
    std::function<void(call_answer)> done;  // until connected or failed
    bool hanging_up = false;
  };
  static constexpr std::size_t max_calls = 256;

  int on_leg_response(leg& l, nta_outgoing_t* orq, const sip_t* sip);
  void on_answered(call& c, leg& l);
  void on_failed(call& c, leg& l, int status, const std::string& phrase);
  bool send_invite(leg& l, const std::string& request_uri, const std::string& sdp);
  void send_ack(leg& l, const std::string& sdp);
  void send_bye(leg& l);
  // An answered leg that is not to be connected: ACKed (the caller's offer
  // refused in it, RFC 3264 §6), then ended.
  void refuse_and_end(leg& l);
  void end_leg(leg& l);
  msg_t* in_dialog_request(const leg& l, sip_method_t method, const char* name, std::uint32_t cseq,
                           const std::string& sdp);
  void finish(call& c, call_answer answer);
  void forget_if_over(call& c);
  call* find(const std::string& id_or_call_id);

  nta_agent_t* agent_;
  su_home_t* home_;
  const sip_front_config& cfg_;
  const front_address& where_;
  const thread_bridge& bridge_;
  dialog_tracker& dialogs_;
  sdp_rewriter& sdp_;
  std::map<std::string, std::unique_ptr<call>> calls_;  // by id
};

// An SDP answer refusing every stream of `offer` (port 0, RFC 3264 §6).
std::string refusing_answer(const std::string& offer, const std::string& host);

}  // namespace p2psip::sip
