#include "sip/call_controller.hpp"

#include <cstring>
#include <random>
#include <sstream>

#include "sip/bindings.hpp"

namespace p2psip::sip {

namespace {

std::string random_hex() {
  std::random_device rd;
  const std::uint64_t v = (std::uint64_t{rd()} << 32) | rd();
  std::ostringstream out;
  out << std::hex << v;
  return out.str();
}

bool is_sdp_body(const sip_t* sip) {
  return sip->sip_payload && sip->sip_payload->pl_len > 0 && sip->sip_content_type &&
         sip->sip_content_type->c_type &&
         strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0;
}

}  // namespace

std::string refusing_answer(const std::string& offer, const std::string& host) {
  const bool v6 = host.find(':') != std::string::npos;
  const std::string addr = std::string(v6 ? "IP6 " : "IP4 ") + host;
  std::string out = "v=0\r\no=- 0 0 IN " + addr + "\r\ns=-\r\nc=IN " + addr + "\r\nt=0 0\r\n";
  std::istringstream lines(offer);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.starts_with("m=")) continue;
    // m=<media> <port> <proto> <fmt>...: the port becomes 0.
    const auto port = line.find(' ');
    const auto proto = port == std::string::npos ? port : line.find(' ', port + 1);
    if (proto == std::string::npos) continue;
    out += line.substr(0, port) + " 0" + line.substr(proto) + "\r\n";
  }
  return out;
}

int call_controller::leg::on_response(nta_outgoing_t* orq, const sip_t* sip) {
  return owner->controller->on_leg_response(*this, orq, sip);
}

call_controller::call_controller(nta_agent_t* agent, su_home_t* home, const sip_front_config& cfg,
                                 const front_address& where, const thread_bridge& bridge,
                                 dialog_tracker& dialogs, sdp_rewriter& sdp)
    : agent_(agent),
      home_(home),
      cfg_(cfg),
      where_(where),
      bridge_(bridge),
      dialogs_(dialogs),
      sdp_(sdp) {}

call_controller::~call_controller() {
  for (auto& [id, c] : calls_) {
    for (leg* l : {&c->caller, &c->callee}) {
      if (l->invite) nta_outgoing_destroy(l->invite);
      if (l->bye) nta_outgoing_destroy(l->bye);
    }
  }
}

void call_controller::start(const std::string& from, const std::string& to,
                            std::function<void(call_answer)> done) {
  const std::string caller_aor = normalize_aor(from);
  const std::string callee_aor = normalize_aor(to);
  if (calls_.size() >= max_calls) {
    call_answer a;
    a.result = call_answer::outcome::too_many;
    bridge_.to_overlay([done, a] { done(a); });
    return;
  }
  auto owned = std::make_unique<call>();
  call& c = *owned;
  c.controller = this;
  c.id = "c2c-" + random_hex();
  c.done = std::move(done);
  c.caller.owner = c.callee.owner = &c;
  c.caller.call_id = c.id + "-caller";
  c.callee.call_id = c.id + "-callee";
  // The caller's phone shows whom it is about to call.
  c.caller.local = "<" + callee_aor + ">;tag=" + random_hex();
  c.caller.remote_uri = caller_aor;
  c.callee.local = "<" + caller_aor + ">;tag=" + random_hex();
  c.callee.remote_uri = callee_aor;
  calls_.emplace(c.id, std::move(owned));
  // To the AOR, which has bindings on this front (sip_front::call checked),
  // so local routing reaches the caller's own phones. Not p2p-local: that
  // marks a request handed over by another daemon, whose late offer the
  // media anchor would take for a far daemon's.
  if (!send_invite(c.caller, caller_aor, {})) {
    finish(c, {call_answer::outcome::caller_failed, 500, "Server Internal Error", c.id, {}, {}});
  }
}

bool call_controller::send_invite(leg& l, const std::string& request_uri, const std::string& sdp) {
  msg_t* msg = nta_msg_create(agent_, 0);
  if (!msg) return false;
  sip_t* sip = sip_object(msg);
  su_home_t* mh = msg_home(msg);
  const std::string contact = "<" + where_.contact("c2c", call_param, l.owner->id) + ">";
  sip_request_t* rq =
      sip_request_create(mh, SIP_METHOD_INVITE, URL_STRING_MAKE(request_uri.c_str()), nullptr);
  bool built = rq && sip_add_tl(msg, sip, SIPTAG_REQUEST(rq), SIPTAG_FROM_STR(l.local.c_str()),
                                SIPTAG_TO_STR(("<" + l.remote_uri + ">").c_str()),
                                SIPTAG_CALL_ID_STR(l.call_id.c_str()),
                                SIPTAG_CSEQ(sip_cseq_create(mh, 1, SIP_METHOD_INVITE)),
                                SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_CONTACT_STR(contact.c_str()),
                                SIPTAG_USER_AGENT_STR(cfg_.user_agent.c_str()), TAG_END()) == 0;
  if (built && !sdp.empty())
    built = sip_add_tl(msg, sip, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                       SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END()) == 0;
  if (!built) {
    msg_destroy(msg);
    return false;
  }
  // Sent to ourselves, so that it is proxied like a phone's INVITE.
  const std::string self = "sip:" + where_.eps.udp.host + ":" + std::to_string(where_.eps.udp.port);
  l.invite = nta_outgoing_mcreate(agent_, response_handler::dispatch, &l,
                                  URL_STRING_MAKE(self.c_str()), msg, TAG_END());
  if (!l.invite) return false;
  l.state = leg_state::inviting;
  return true;
}

msg_t* call_controller::in_dialog_request(const leg& l, sip_method_t method, const char* name,
                                          std::uint32_t cseq, const std::string& sdp) {
  msg_t* msg = nta_msg_create(agent_, 0);
  if (!msg) return nullptr;
  sip_t* sip = sip_object(msg);
  su_home_t* mh = msg_home(msg);
  const std::string to = "<" + l.remote_uri + ">;tag=" + l.remote_tag;
  sip_request_t* rq =
      sip_request_create(mh, method, name, URL_STRING_MAKE(l.target.c_str()), nullptr);
  bool built = rq && sip_add_tl(msg, sip, SIPTAG_REQUEST(rq), SIPTAG_FROM_STR(l.local.c_str()),
                                SIPTAG_TO_STR(to.c_str()), SIPTAG_CALL_ID_STR(l.call_id.c_str()),
                                SIPTAG_CSEQ(sip_cseq_create(mh, cseq, method, name)),
                                SIPTAG_MAX_FORWARDS_STR("70"),
                                SIPTAG_USER_AGENT_STR(cfg_.user_agent.c_str()), TAG_END()) == 0;
  for (const auto& entry : l.route)
    built = built && sip_add_tl(msg, sip, SIPTAG_ROUTE_STR(entry.c_str()), TAG_END()) == 0;
  if (built && !sdp.empty())
    built = sip_add_tl(msg, sip, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                       SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END()) == 0;
  if (!built || !next_hop_needing_dns(sip).empty()) {
    msg_destroy(msg);
    return nullptr;
  }
  return msg;
}

void call_controller::send_ack(leg& l, const std::string& sdp) {
  // An ACK to a 2xx is its own transaction-less request, CSeq of the INVITE.
  if (msg_t* msg = in_dialog_request(l, SIP_METHOD_ACK, 1, sdp))
    nta_outgoing_mcreate(agent_, nullptr, nullptr, nullptr, msg, TAG_END());
  l.state = leg_state::confirmed;
}

void call_controller::send_bye(leg& l) {
  msg_t* msg = in_dialog_request(l, SIP_METHOD_BYE, 2, {});
  l.bye =
      msg ? nta_outgoing_mcreate(agent_, response_handler::dispatch, &l, nullptr, msg, TAG_END())
          : nullptr;
  l.state = l.bye ? leg_state::ending : leg_state::done;
}

void call_controller::refuse_and_end(leg& l) {
  // Only the caller's phone answered with an offer; the callee's 2xx holds
  // the answer to ours.
  const bool offered = &l == &l.owner->caller && !l.sdp.empty();
  send_ack(l, offered ? refusing_answer(l.sdp, where_.listen_host) : std::string());
  send_bye(l);
}

// Whatever state a leg is in, it is made to end: CANCEL while it rings,
// BYE once answered.
void call_controller::end_leg(leg& l) {
  switch (l.state) {
    case leg_state::inviting: nta_outgoing_tcancel(l.invite, nullptr, nullptr, TAG_END()); break;
    case leg_state::answered: refuse_and_end(l); break;
    case leg_state::confirmed: send_bye(l); break;
    case leg_state::idle: l.state = leg_state::done; break;
    case leg_state::ending:
    case leg_state::done: break;
  }
}

int call_controller::on_leg_response(leg& l, nta_outgoing_t* orq, const sip_t* sip) {
  call& c = *l.owner;
  const int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
  if (status < 200) return 0;
  if (orq == l.bye) {
    nta_outgoing_destroy(l.bye);
    l.bye = nullptr;
    l.state = leg_state::done;
    forget_if_over(c);
    return 0;
  }
  if (orq != l.invite || l.state != leg_state::inviting) return 0;
  nta_outgoing_destroy(l.invite);  // 2xx retransmissions are not ours to ACK again
  l.invite = nullptr;
  if (status >= 300) {
    l.state = leg_state::done;
    on_failed(c, l, status, sip ? to_string(sip->sip_status->st_phrase) : "Request Timeout");
    return 0;
  }
  l.state = leg_state::answered;
  l.remote_tag = to_string(sip->sip_to ? sip->sip_to->a_tag : nullptr);
  l.target = sip->sip_contact ? url_str(home_, sip->sip_contact->m_url) : std::string();
  // The route set is the Record-Route in reverse (RFC 3261 §12.1.2).
  l.route.clear();
  for (const sip_record_route_t* r = sip->sip_record_route; r; r = r->r_next)
    l.route.insert(l.route.begin(), "<" + url_str(home_, r->r_url) + ">");
  if (is_sdp_body(sip)) l.sdp.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  if (l.target.empty()) {  // cannot be ACKed: its party will give up
    l.state = leg_state::done;
    on_failed(c, l, 502, "Bad Gateway (a 2xx without Contact)");
    return 0;
  }
  on_answered(c, l);
  return 0;
}

void call_controller::on_answered(call& c, leg& l) {
  if (c.hanging_up) {
    refuse_and_end(l);
    return finish(c, {call_answer::outcome::hung_up, 0, "ended by sip.hangup", c.id, {}, {}});
  }
  if (&l == &c.caller) {
    if (l.sdp.empty()) {
      refuse_and_end(l);
      return finish(c, {call_answer::outcome::caller_failed,
                        488,
                        "Not Acceptable Here (the caller's phone offered no SDP)",
                        c.id,
                        {},
                        {}});
    }
    if (!send_invite(c.callee, c.callee.remote_uri, l.sdp)) {
      refuse_and_end(l);
      return finish(
          c, {call_answer::outcome::callee_failed, 500, "Server Internal Error", c.id, {}, {}});
    }
    return;
  }
  // The callee answered: its answer goes to the caller's phone.
  send_ack(l, {});
  send_ack(c.caller, l.sdp);
  finish(c, {call_answer::outcome::connected, 200, "OK", c.id, c.caller.call_id, c.callee.call_id});
}

void call_controller::on_failed(call& c, leg& l, int status, const std::string& phrase) {
  if (&l == &c.callee) end_leg(c.caller);
  const bool by_hangup = c.hanging_up;
  finish(c, {by_hangup         ? call_answer::outcome::hung_up
             : &l == &c.caller ? call_answer::outcome::caller_failed
                               : call_answer::outcome::callee_failed,
             status,
             phrase,
             c.id,
             {},
             {}});
}

void call_controller::finish(call& c, call_answer answer) {
  if (c.done) {
    answer.caller_call_id = c.caller.call_id;
    answer.callee_call_id = c.callee.call_id;
    bridge_.to_overlay([done = std::move(c.done), answer] { done(answer); });
    c.done = nullptr;
  }
  forget_if_over(c);
}

void call_controller::forget_if_over(call& c) {
  const auto over = [](const leg& l) {
    return l.state == leg_state::idle || l.state == leg_state::done;
  };
  if (!over(c.caller) || !over(c.callee) || c.done) return;
  calls_.erase(c.id);  // destroys c
}

call_controller::call* call_controller::find(const std::string& id_or_call_id) {
  auto it = calls_.find(id_or_call_id);
  if (it != calls_.end()) return it->second.get();
  for (auto& [id, c] : calls_)
    if (c->caller.call_id == id_or_call_id || c->callee.call_id == id_or_call_id) return c.get();
  return nullptr;
}

hangup_answer call_controller::hangup(const std::string& id) {
  call* c = find(id);
  if (!c) return {};
  hangup_answer answer{
      true, c->id,
      c->caller.state == leg_state::inviting || c->callee.state == leg_state::inviting};
  if (c->hanging_up) return answer;
  c->hanging_up = true;
  const std::string kept = c->id;
  end_leg(c->caller);
  if (calls_.count(kept)) end_leg(c->callee);
  if (calls_.count(kept) && c->done && c->caller.state != leg_state::inviting &&
      c->callee.state != leg_state::inviting) {
    finish(*c, {call_answer::outcome::hung_up, 0, "ended by sip.hangup", c->id, {}, {}});
  }
  return answer;
}

void call_controller::handle(nta_incoming_t* irq, const sip_t* sip, const std::string& id) {
  const sip_method_t method = sip->sip_request->rq_method;
  if (method == sip_method_ack) {
    nta_incoming_destroy(irq);
    return;
  }
  call* c = find(id);
  const std::string call_id = to_string(sip->sip_call_id->i_id);
  leg* from_party = !c                             ? nullptr
                    : call_id == c->caller.call_id ? &c->caller
                    : call_id == c->callee.call_id ? &c->callee
                                                   : nullptr;
  if (method == sip_method_options) {
    nta_incoming_treply(irq, SIP_200_OK, SIPTAG_ALLOW_STR("ACK, BYE, OPTIONS"),
                        SIPTAG_SERVER_STR(cfg_.user_agent.c_str()), TAG_END());
  } else if (!from_party) {
    reply(irq, cfg_.user_agent, 481, "Call/Transaction Does Not Exist");
  } else if (method == sip_method_bye) {
    reply(irq, cfg_.user_agent, 200, "OK");
    // The proxy never saw this BYE go by: its dialog ends here.
    dialogs_.end(call_id, false);
    sdp_.dialog_ended(call_id, false);
    if (from_party->bye) nta_outgoing_destroy(from_party->bye), from_party->bye = nullptr;
    from_party->state = leg_state::done;
    c->hanging_up = true;
    leg& other = from_party == &c->caller ? c->callee : c->caller;
    const std::string kept = c->id;
    end_leg(other);
    if (calls_.count(kept)) forget_if_over(*c);
  } else if (method == sip_method_invite) {
    // A re-INVITE would need its offer carried to the other party; this
    // controller keeps the media as first agreed.
    reply(irq, cfg_.user_agent, 488, "Not Acceptable Here",
          "the click-to-call controller does not renegotiate media");
  } else {
    nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR("ACK, BYE, OPTIONS"),
                        SIPTAG_SERVER_STR(cfg_.user_agent.c_str()), TAG_END());
  }
  nta_incoming_destroy(irq);
}

}  // namespace p2psip::sip
