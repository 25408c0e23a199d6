// Apps on the control socket as SIP contacts (sip_front::bind_app). An app's
// contact is a URI of this front carrying the app's token in a "p2p-app"
// parameter, bound to its AOR like a phone's contact: forking reaches apps
// and phones alike, and the request that comes back here for that URI is
// handed to the app. A MESSAGE is answered 200 once queued for a live client
// of the app, else 480 (the sender's daemon then keeps it in the recipient's
// inbox); other methods get 405. Sip thread only.
#pragma once

#include <functional>
#include <string>

#include "sip/front_internal.hpp"

namespace p2psip::sip {

// The contact URI of the app with this token.
std::string app_contact(const front_address& where, const std::string& token);

class app_delivery {
 public:
  using sink = std::function<void(const app_message&, std::function<void(bool)> queued)>;
  app_delivery(su_home_t* home, const sip_front_config& cfg, const thread_bridge& bridge,
               sink deliver)
      : home_(home), cfg_(cfg), bridge_(bridge), deliver_(std::move(deliver)) {}

  // Answers (now or once the app's side has answered) a request whose
  // Request-URI carries `token`, and then destroys the transaction.
  void handle(nta_incoming_t* irq, const sip_t* sip, const std::string& token);

 private:
  su_home_t* home_;
  const sip_front_config& cfg_;
  const thread_bridge& bridge_;
  sink deliver_;
};

}  // namespace p2psip::sip
