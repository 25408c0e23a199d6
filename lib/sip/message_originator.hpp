// Requests the daemon itself sends. MESSAGEs (sip.message): built here and
// sent to this front's own UDP port, so that they are routed like any
// softphone's request; the final status goes back through the overlay
// thread. BYEs ending a local party's dialog in place of a dead far side:
// sent along the dialog's route set, their answer ignored. Sip thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "sip/dialog_tracker.hpp"
#include "sip/front_internal.hpp"

namespace p2psip::sip {

class message_originator {
 public:
  message_originator(nta_agent_t* agent, const sip_front_config& cfg, const front_address& where,
                     const thread_bridge& bridge);
  // Abandons the MESSAGEs in flight: their callers hear nothing.
  ~message_originator();
  message_originator(const message_originator&) = delete;
  message_originator& operator=(const message_originator&) = delete;

  // `local_only`: to this front's own bindings of `to` only (p2p-local).
  void send(const std::string& from, const std::string& to, const std::string& body,
            const std::string& content_type, std::function<void(message_result)> done,
            bool local_only = false);
  // `why` goes in the BYE's Reason header (RFC 3326).
  void end_dialog(const dialog_teardown& dialog, const std::string& why);

 private:
  struct in_flight final : response_handler {
    message_originator* owner = nullptr;
    nta_outgoing_t* orq = nullptr;
    std::function<void(message_result)> done;
    int on_response(nta_outgoing_t* orq, const sip_t* sip) override;
  };
  // Sends `msg` in a client transaction (to `url`, else along its Route or
  // Request-URI); `done`, when given, hears the final status.
  void start(msg_t* msg, const std::string& url, std::function<void(message_result)> done);
  void answer(std::function<void(message_result)> done, message_result r) const;

  nta_agent_t* agent_;
  const sip_front_config& cfg_;
  const front_address& where_;
  const thread_bridge& bridge_;
  std::unordered_map<in_flight*, std::unique_ptr<in_flight>> in_flight_;
};

}  // namespace p2psip::sip
