#include "sip/message_originator.hpp"

#include "sip/bindings.hpp"

namespace p2psip::sip {

message_originator::message_originator(nta_agent_t* agent, const sip_front_config& cfg,
                                       const front_address& where, const thread_bridge& bridge)
    : agent_(agent), cfg_(cfg), where_(where), bridge_(bridge) {}

message_originator::~message_originator() {
  for (auto& [m, entry] : in_flight_)
    if (m->orq) nta_outgoing_destroy(m->orq);
}

void message_originator::send(const std::string& from, const std::string& to,
                              const std::string& body, const std::string& ctype,
                              std::function<void(message_result)> done, bool local_only) {
  auto fail = [&](int st, const char* ph) { answer(done, {st, ph}); };
  msg_t* msg = nta_msg_create(agent_, 0);
  if (!msg) return fail(500, "Server Internal Error");
  sip_t* sip = sip_object(msg);
  su_home_t* mh = msg_home(msg);
  url_t* ruri = url_make(mh, normalize_aor(to).c_str());
  if (ruri && local_only) url_param_add(mh, ruri, local_only_param);
  sip_from_t* f = sip_from_make(mh, from.c_str());
  sip_to_t* t = sip_to_make(mh, to.c_str());
  if (!ruri || !f || !t || normalize_aor(to).empty()) {
    msg_destroy(msg);
    return fail(400, "Bad Address");
  }
  sip_from_tag(mh, f, nta_agent_newtag(mh, "tag=%s", agent_));
  sip_request_t* rq =
      sip_request_create(mh, SIP_METHOD_MESSAGE, (url_string_t const*)ruri, nullptr);
  if (sip_add_tl(msg, sip, SIPTAG_REQUEST(rq), SIPTAG_FROM(f), SIPTAG_TO(t),
                 SIPTAG_CALL_ID(sip_call_id_create(mh, nullptr)),
                 SIPTAG_CSEQ(sip_cseq_create(mh, 1, SIP_METHOD_MESSAGE)),
                 SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_CONTENT_TYPE_STR(ctype.c_str()),
                 SIPTAG_PAYLOAD_STR(body.c_str()), SIPTAG_USER_AGENT_STR(cfg_.user_agent.c_str()),
                 TAG_END()) < 0) {
    msg_destroy(msg);
    return fail(500, "Server Internal Error");
  }
  // Sent to ourselves, so that it is routed like any softphone's request.
  start(msg, "sip:" + where_.eps.udp.host + ":" + std::to_string(where_.eps.udp.port),
        std::move(done));
}

void message_originator::end_dialog(const dialog_teardown& dialog, const std::string& why) {
  msg_t* msg = nta_msg_create(agent_, 0);
  if (!msg) return;
  sip_t* sip = sip_object(msg);
  su_home_t* mh = msg_home(msg);
  const std::string reason = "SIP;cause=503;text=\"" + why + "\"";
  sip_request_t* rq =
      sip_request_create(mh, SIP_METHOD_BYE, URL_STRING_MAKE(dialog.target.c_str()), nullptr);
  bool built =
      rq && sip_add_tl(msg, sip, SIPTAG_REQUEST(rq), SIPTAG_FROM_STR(dialog.from.c_str()),
                       SIPTAG_TO_STR(dialog.to.c_str()), SIPTAG_CALL_ID_STR(dialog.call_id.c_str()),
                       SIPTAG_CSEQ(sip_cseq_create(mh, dialog.cseq, SIP_METHOD_BYE)),
                       SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_REASON_STR(reason.c_str()),
                       SIPTAG_USER_AGENT_STR(cfg_.user_agent.c_str()), TAG_END()) == 0;
  for (const auto& entry : dialog.route)
    built = built && sip_add_tl(msg, sip, SIPTAG_ROUTE_STR(entry.c_str()), TAG_END()) == 0;
  if (!built || !next_hop_needing_dns(sip).empty()) {
    msg_destroy(msg);
    return;
  }
  start(msg, {}, nullptr);
}

void message_originator::start(msg_t* msg, const std::string& url,
                               std::function<void(message_result)> done) {
  auto holder = std::make_unique<in_flight>();
  in_flight* m = holder.get();
  m->owner = this;
  m->done = std::move(done);
  in_flight_.emplace(m, std::move(holder));
  m->orq =
      nta_outgoing_mcreate(agent_, response_handler::dispatch, m,
                           url.empty() ? nullptr : URL_STRING_MAKE(url.c_str()), msg, TAG_END());
  if (!m->orq) {
    auto d = std::move(m->done);
    in_flight_.erase(m);
    answer(std::move(d), {500, "Server Internal Error"});
  }
}

int message_originator::in_flight::on_response(nta_outgoing_t*, const sip_t* sip) {
  const int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
  if (status < 200) return 0;
  auto it = owner->in_flight_.find(this);
  if (it == owner->in_flight_.end()) return 0;
  message_result r{
      status, sip && sip->sip_status ? to_string(sip->sip_status->st_phrase) : "Request Timeout"};
  auto d = std::move(done);
  message_originator* o = owner;
  if (orq) nta_outgoing_destroy(orq);
  o->in_flight_.erase(it);  // destroys this
  o->answer(std::move(d), r);
  return 0;
}

void message_originator::answer(std::function<void(message_result)> done, message_result r) const {
  if (!done) return;
  bridge_.to_overlay([done = std::move(done), r = std::move(r)] { done(r); });
}

}  // namespace p2psip::sip
