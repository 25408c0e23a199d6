#include "sip/app_delivery.hpp"

namespace p2psip::sip {

std::string app_contact(const front_address& where, const std::string& token) {
  return where.contact("app-" + token, app_token_param, token);
}

void app_delivery::handle(nta_incoming_t* irq, const sip_t* sip, const std::string& token) {
  if (sip->sip_request->rq_method != sip_method_message) {
    nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR("MESSAGE"),
                        SIPTAG_SERVER_STR(cfg_.user_agent.c_str()), TAG_END());
    nta_incoming_destroy(irq);
    return;
  }
  if (!deliver_) {
    reply(irq, cfg_.user_agent, 480, "Temporarily Unavailable", "no app holds this contact");
    nta_incoming_destroy(irq);
    return;
  }
  app_message m;
  m.token = token;
  m.message_id = to_string(sip->sip_call_id->i_id);
  m.from = url_str(home_, sip->sip_from->a_url);
  m.to = url_str(home_, sip->sip_to->a_url);
  if (sip->sip_content_type && sip->sip_content_type->c_type)
    m.content_type = sip->sip_content_type->c_type;
  if (sip->sip_payload) m.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  const std::string server = cfg_.user_agent;
  auto answered = bridge_.back_here<bool>([irq, server](bool queued) {
    if (queued) {
      reply(irq, server, 200, "OK");
    } else {
      reply(irq, server, 480, "Temporarily Unavailable",
            "no live control client holds this app contact");
    }
    nta_incoming_destroy(irq);
  });
  bridge_.to_overlay([deliver = deliver_, m = std::move(m), answered] { deliver(m, answered); });
}

}  // namespace p2psip::sip
