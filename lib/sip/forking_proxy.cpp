#include "sip/forking_proxy.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

namespace p2psip::sip {

namespace {

// Where nta sends a request for another daemon: the channel's loopback end.
std::string node_stream_url(const stream_endpoint& ep) {
  return "sip:" + ep.host + ":" + std::to_string(ep.port) + ";transport=tcp";
}

bool is_sdp(const sip_t* sip) {
  return sip->sip_payload && sip->sip_payload->pl_len > 0 && sip->sip_content_type &&
         sip->sip_content_type->c_type &&
         strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0;
}

bool replace_request_uri(msg_t* msg, sip_t* sip, const url_t* uri) {
  sip_request_t* rq =
      sip_request_create(msg_home(msg), sip->sip_request->rq_method,
                         sip->sip_request->rq_method_name, (url_string_t const*)uri, nullptr);
  return rq && msg_header_replace(msg, (msg_pub_t*)sip, (msg_header_t*)sip->sip_request,
                                  (msg_header_t*)rq) == 0;
}

// For a request handed to another daemon without a Route left: that daemon
// resolves its Request-URI against its own bindings only, so a stale
// overlay value cannot bounce the request between daemons.
bool mark_local_only(msg_t* msg, sip_t* sip) {
  const url_t* r = sip->sip_request->rq_url;
  if (sip->sip_route || url_has_param(r, local_only_param)) return true;
  su_home_t* mh = msg_home(msg);
  url_t* copy = url_hdup(mh, r);
  return copy && url_param_add(mh, copy, local_only_param) == 0 &&
         replace_request_uri(msg, sip, copy);
}

// A GRUU (RFC 5627) is resolved like an AOR, even in dialog.
bool is_gruu(const url_t* uri) { return !param_value(uri, "gr").empty(); }

int upstream_event_cb(proxy_txn* t, nta_incoming_t* irq, const sip_t* sip) {
  return t->proxy->on_upstream_event(t, irq, sip);
}

}  // namespace

int branch::on_response(nta_outgoing_t* orq, const sip_t* sip) {
  return txn->proxy->on_branch_response(this, orq, sip);
}

int forking_proxy::stray_catcher::on_response(nta_outgoing_t* orq, const sip_t* sip) {
  return proxy->on_stray_response(orq, sip);
}

forking_proxy::forking_proxy(nta_agent_t* agent, su_home_t* home, const sip_front_config& cfg,
                             const front_address& where, const binding_table& bindings,
                             overlay_directory& directory, node_channel& channel,
                             const thread_bridge& bridge, dialog_tracker& dialogs,
                             sdp_rewriter& sdp)
    : agent_(agent),
      home_(home),
      cfg_(cfg),
      where_(where),
      bindings_(bindings),
      directory_(directory),
      channel_(channel),
      bridge_(bridge),
      dialogs_(dialogs),
      sdp_(sdp) {
  strays_.proxy = this;
}

forking_proxy::~forking_proxy() {
  std::vector<proxy_txn*> all;
  for (auto& [id, t] : txns_) all.push_back(t.get());
  for (auto* t : all) destroy_txn(t);
  if (stray_orq_) nta_outgoing_destroy(stray_orq_);
  if (stray_irq_) nta_incoming_destroy(stray_irq_);
}

bool forking_proxy::catch_strays() {
  stray_irq_ = nta_incoming_default(agent_);
  stray_orq_ = nta_outgoing_default(agent_, response_handler::dispatch, &strays_);
  return stray_irq_ && stray_orq_;
}

int forking_proxy::forward(nta_incoming_t* irq, const sip_t* sip, bool pop_route,
                           const sip_route_t* next_route) {
  const url_t* ruri = sip->sip_request->rq_url;
  proxy_txn* t = new_txn(irq, sip);
  if (!t) return 500;
  t->may_go_offline = cfg_.store_offline && t->method == sip_method_message && !next_route &&
                      !sip->sip_to->a_tag && !url_has_param(ruri, local_only_param);
  if (pop_route) {
    sip_t* s = sip_object(t->request);
    sip_route_remove(t->request, s);
  }

  if (next_route) {
    // Loose routing toward the next hop (in-dialog or pre-loaded route).
    std::string p2p = param_value(next_route->r_url, "p2p");
    if (!p2p.empty()) {
      auto node = wire::node_id::from_hex(p2p);
      if (!node) {
        txn_reply(t, 400, "Bad Route p2p parameter");
        return 0;
      }
      open_node_branch(t, *node);
    } else {
      add_branch(t, {}, nullptr);
      finish_branch_wait(t);
    }
    return 0;
  }
  // In dialog, the remote target is a contact, or a GRUU (RFC 5627), which
  // is resolved like an AOR.
  if (sip->sip_to->a_tag && !is_gruu(ruri)) {
    add_branch(t, url_str(home_, ruri), nullptr);
    finish_branch_wait(t);
    return 0;
  }
  const std::uint64_t id = t->id;
  route_request_uri(ruri, [this, id](const route_decision& d) { apply_decision(id, d); });
  return 0;
}

// Rewrites a copy of a request for one branch (RFC 3261 §16.6 steps 2-5):
// Request-URI, Max-Forwards, Record-Route, and the SDP plug-in point. nta
// adds our Via when it sends.
bool forking_proxy::prepare_forward(msg_t* msg, sip_t* sip, const url_t* new_ruri, bool add_rr,
                                    bool remote) {
  su_home_t* mh = msg_home(msg);
  if (new_ruri && !replace_request_uri(msg, sip, new_ruri)) return false;
  const unsigned long mf = sip->sip_max_forwards ? sip->sip_max_forwards->mf_count : 70;
  const std::string mfs = std::to_string(mf > 0 ? std::min<unsigned long>(mf - 1, 70) : 0);
  sip_max_forwards_t* nmf = sip_max_forwards_make(mh, mfs.c_str());
  if (!nmf) return false;
  if (sip->sip_max_forwards) {
    if (msg_header_replace(msg, (msg_pub_t*)sip, (msg_header_t*)sip->sip_max_forwards,
                           (msg_header_t*)nmf) < 0)
      return false;
  } else if (msg_header_insert(msg, (msg_pub_t*)sip, (msg_header_t*)nmf) < 0) {
    return false;
  }
  if (add_rr) {
    sip_record_route_t* rr = sip_record_route_make(mh, where_.record_route().c_str());
    if (!rr || msg_header_insert(msg, (msg_pub_t*)sip, (msg_header_t*)rr) < 0) return false;
  }
  const std::string cid = sip->sip_call_id ? to_string(sip->sip_call_id->i_id) : "";
  const bool ack = sip->sip_request && sip->sip_request->rq_method == sip_method_ack;
  return rewrite_sdp(msg, sip, {cid, sdp_direction::toward_callee, remote, 0, ack});
}

// The dialog tracker and the media plug-in learn together that a dialog ended.
void forking_proxy::end_dialog(const std::string& call_id, bool only_early) {
  dialogs_.end(call_id, only_early);
  sdp_.dialog_ended(call_id, only_early);
}

// The media plug-in point: an SDP body passes through the sdp_rewriter and
// is replaced (with its Content-Length) only when the rewriter changed it.
bool forking_proxy::rewrite_sdp(msg_t* msg, sip_t* sip, const sdp_context& ctx) {
  if (!is_sdp(sip)) return true;
  std::string body(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  const std::optional<std::string> rewritten = sdp_.rewrite(ctx, body);
  if (!rewritten) {
    media_refused_ = true;
    return false;
  }
  const std::string& out = *rewritten;
  if (out == body) return true;
  su_home_t* mh = msg_home(msg);
  sip_payload_t* pl = sip_payload_make(mh, out.c_str());
  if (!pl || msg_header_replace(msg, (msg_pub_t*)sip, (msg_header_t*)sip->sip_payload,
                                (msg_header_t*)pl) < 0)
    return false;
  if (sip->sip_content_length) {
    sip_content_length_t* cl = sip_content_length_create(mh, static_cast<uint32_t>(out.size()));
    if (!cl || msg_header_replace(msg, (msg_pub_t*)sip, (msg_header_t*)sip->sip_content_length,
                                  (msg_header_t*)cl) < 0)
      return false;
  }
  return true;
}

void forking_proxy::route_request_uri(const url_t* ruri,
                                      std::function<void(const route_decision&)> done) {
  const std::string aor = normalize_aor(url_str(home_, ruri));
  const std::string gr = param_value(ruri, "gr");
  if (url_has_param(ruri, local_only_param)) {
    // Handed to us by another daemon: our bindings or nothing.
    struct nowhere final : overlay_directory {
      void publish(const binding_set&) override {}
      void withdraw(const std::string&) override {}
      void lookup(const std::string&, std::function<void(lookup_result)> answer) override {
        answer({lookup_status::unreachable, {}, "no longer registered at this node"});
      }
    } none;
    request_router(bindings_, none, cfg_.self).route(aor, gr, sip_clock::now(), std::move(done));
    return;
  }
  // Local answers come back synchronously; the overlay path goes through a
  // posting adapter, so the directory runs on the overlay thread.
  struct posting_directory final : overlay_directory {
    const thread_bridge& bridge;
    overlay_directory* target;
    posting_directory(const thread_bridge& b, overlay_directory* d) : bridge(b), target(d) {}
    void publish(const binding_set&) override {}
    void withdraw(const std::string&) override {}
    void lookup(const std::string& key, std::function<void(lookup_result)> answer) override {
      auto back = bridge.back_here<lookup_result>(std::move(answer));
      overlay_directory* d = target;
      bridge.to_overlay([d, key, back] { d->lookup(key, back); });
    }
  } posting(bridge_, &directory_);
  request_router(bindings_, posting, cfg_.self).route(aor, gr, sip_clock::now(), std::move(done));
}

proxy_txn* forking_proxy::new_txn(nta_incoming_t* irq, const sip_t* sip) {
  auto t = std::make_unique<proxy_txn>();
  t->proxy = this;
  t->id = next_id_++;
  t->irq = irq;
  t->method = sip->sip_request->rq_method;
  t->call_id = to_string(sip->sip_call_id->i_id);
  t->late_offer = t->method == sip_method_invite && !is_sdp(sip);
  t->from_daemon = url_has_param(sip->sip_request->rq_url, local_only_param);
  msg_t* orig = nta_incoming_getrequest(irq);
  t->request = orig ? msg_dup(orig) : nullptr;  // our private, editable copy
  if (orig) msg_destroy(orig);
  if (!t->request) return nullptr;
  nta_incoming_bind(irq, upstream_event_cb, t.get());
  proxy_txn* raw = t.get();
  txns_.emplace(raw->id, std::move(t));
  return raw;
}

void forking_proxy::apply_decision(std::uint64_t id, const route_decision& d) {
  auto it = txns_.find(id);
  if (it == txns_.end()) return;  // gone (cancelled, front stopping)
  proxy_txn* t = it->second.get();
  if (t->cancelled || t->final_sent) {
    maybe_done(t);
    return;
  }
  if (d.status != 0) {
    if ((d.status == 404 || d.status == 480) && hand_to_adopter(t)) return;
    txn_reply(t, d.status, d.phrase.c_str(), d.reason);
    return;
  }
  for (const auto& target : d.targets) {
    if (target.where == route_target::kind::local_contact) {
      add_branch(t, target.uri, nullptr);
    } else {
      open_node_branch(t, target.node);
    }
  }
  finish_branch_wait(t);
}

void forking_proxy::open_node_branch(proxy_txn* t, const wire::node_id& node) {
  ++t->pending_opens;
  const std::uint64_t id = t->id;
  auto back = bridge_.back_here<std::optional<stream_endpoint>>(
      [this, id](std::optional<stream_endpoint> ep) {
        auto it = txns_.find(id);
        if (it == txns_.end()) return;
        proxy_txn* tt = it->second.get();
        --tt->pending_opens;
        if (ep && !tt->cancelled && !tt->final_sent) add_branch(tt, {}, &*ep);
        finish_branch_wait(tt);
      });
  node_channel* ch = &channel_;
  bridge_.to_overlay([ch, node, back] { ch->open(node, back); });
}

// Called when no more branches can appear: answer when none was created.
void forking_proxy::finish_branch_wait(proxy_txn* t) {
  if (t->pending_opens > 0) return;
  if (t->branches.empty() && !t->final_sent) {
    if (t->cancelled) {
      txn_reply(t, SIP_487_REQUEST_TERMINATED);
    } else if (t->media_refused) {
      txn_reply(t, SIP_488_NOT_ACCEPTABLE, "its media cannot be anchored at this daemon");
    } else if (!t->host_name_hop.empty()) {
      txn_reply(t, 404, "Not Found",
                "next hop " + t->host_name_hop + " is a host name; this daemon resolves no DNS");
    } else {
      txn_reply(t, 480, "Temporarily Unavailable", "no reachable destination");
    }
    return;
  }
  maybe_done(t);
}

void forking_proxy::add_branch(proxy_txn* t, const std::string& target_uri,
                               const stream_endpoint* via_node) {
  msg_t* msg = msg_dup(t->request);
  if (!msg) return;
  sip_t* sip = sip_object(msg);
  su_home_t* mh = msg_home(msg);
  url_t* ruri = target_uri.empty() ? nullptr : url_make(mh, target_uri.c_str());
  const bool dialog_creating = t->method == sip_method_invite ||
                               t->method == sip_method_subscribe || t->method == sip_method_refer ||
                               t->method == sip_method_notify;
  const bool add_rr = dialog_creating && !(sip->sip_to && sip->sip_to->a_tag);
  media_refused_ = false;
  if (!prepare_forward(msg, sip, ruri, add_rr, via_node != nullptr)) {
    t->media_refused = t->media_refused || media_refused_;
    msg_destroy(msg);
    return;
  }
  std::string route_url;
  if (via_node) {
    route_url = node_stream_url(*via_node);
    (void)mark_local_only(msg, sip);  // best effort: unmarked still routes
  }
  if (std::string name = next_hop_needing_dns(sip, route_url); !name.empty()) {
    t->host_name_hop = std::move(name);
    msg_destroy(msg);
    return;
  }
  t->branches.emplace_back();
  branch* b = &t->branches.back();
  b->txn = t;
  b->remote = via_node != nullptr;
  b->orq = nta_outgoing_mcreate(agent_, response_handler::dispatch, b,
                                route_url.empty() ? nullptr : URL_STRING_MAKE(route_url.c_str()),
                                msg, TAG_END());
  if (!b->orq) {
    t->branches.pop_back();
    return;
  }
}

void forking_proxy::txn_reply(proxy_txn* t, int status, const char* phrase,
                              const std::string& reason) {
  if (divert_offline(t, status)) return;
  if (!t->final_sent && t->irq) {
    reply(t->irq, cfg_.user_agent, status, phrase, reason);
    t->final_sent = true;
    if (t->method == sip_method_bye) end_dialog(t->call_id, false);  // any final answer
    if (t->method == sip_method_invite && status >= 300) sdp_.dialog_ended(t->call_id, true);
  }
  maybe_done(t);
}

bool forking_proxy::divert_offline(proxy_txn* t, int status) {
  if (!t->may_go_offline || t->final_sent || t->cancelled || !t->irq ||
      (status != 404 && status != 408 && status != 480))
    return false;
  t->may_go_offline = false;
  const sip_t* sip = sip_object(t->request);
  offline_message m;
  m.from = url_str(home_, sip->sip_from->a_url);
  m.to = normalize_aor(url_str(home_, sip->sip_request->rq_url));
  if (sip->sip_content_type && sip->sip_content_type->c_type)
    m.content_type = sip->sip_content_type->c_type;
  if (sip->sip_payload) m.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  m.message_id = t->call_id;
  ++t->pending_opens;  // keeps the transaction until the inbox answers
  const std::uint64_t id = t->id;
  auto back = bridge_.back_here<offline_answer>([this, id, status](offline_answer a) {
    auto it = txns_.find(id);
    if (it == txns_.end()) return;
    proxy_txn* tt = it->second.get();
    --tt->pending_opens;
    if (a.status == 0) a.status = status;
    if (a.phrase.empty()) a.phrase = sip_status_phrase(a.status) ? sip_status_phrase(a.status) : "";
    txn_reply(tt, a.status, a.phrase.c_str(), a.reason);
  });
  bridge_.to_overlay([store = cfg_.store_offline, m = std::move(m), back] { store(m, back); });
  return true;
}

bool forking_proxy::hand_to_adopter(proxy_txn* t) {
  if (!adopt_ || t->method != sip_method_subscribe || t->from_daemon || !t->irq || t->final_sent)
    return false;
  nta_incoming_t* irq = t->irq;
  nta_incoming_bind(irq, nullptr, nullptr);
  if (!adopt_(irq, sip_object(t->request))) {
    nta_incoming_bind(irq, upstream_event_cb, t);
    return false;
  }
  t->irq = nullptr;
  t->final_sent = true;
  maybe_done(t);
  return true;
}

void forking_proxy::maybe_done(proxy_txn* t) {
  if (t->pending_opens > 0) return;
  const bool branches_done =
      std::all_of(t->branches.begin(), t->branches.end(), [](const branch& b) { return b.done; });
  if (!branches_done) return;
  if (!t->final_sent && divert_offline(t, t->best ? t->best_status : 480)) return;
  if (!t->final_sent) {
    if (t->best && t->irq) {
      msg_t* best = t->best;
      t->best = nullptr;
      if (nta_incoming_mreply(t->irq, best) < 0)
        nta_incoming_treply(t->irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
      t->final_sent = true;
    } else if (t->irq) {
      reply(t->irq, cfg_.user_agent, t->cancelled ? 487 : 480,
            t->cancelled ? "Request Terminated" : "Temporarily Unavailable");
      t->final_sent = true;
    } else {
      return;
    }
  }
  destroy_txn(t);
}

void forking_proxy::destroy_txn(proxy_txn* t) {
  for (auto& b : t->branches)
    if (b.orq) nta_outgoing_destroy(b.orq), b.orq = nullptr;
  if (t->irq) {
    if (!t->final_sent) nta_incoming_treply(t->irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
    nta_incoming_bind(t->irq, nullptr, nullptr);
    nta_incoming_destroy(t->irq);
    t->irq = nullptr;
  }
  if (t->best) msg_destroy(t->best), t->best = nullptr;
  if (t->request) msg_destroy(t->request), t->request = nullptr;
  txns_.erase(t->id);
}

// CANCEL applies to INVITE only (RFC 3261 §9.1): nta ends a non-INVITE
// client transaction asked to cancel, and its branch kept a dangling handle
// (a MESSAGE forked to two contacts crashed the front). Non-INVITE branches
// run to their end.
void forking_proxy::cancel_pending(proxy_txn* t, const branch* except) {
  if (t->method != sip_method_invite) return;
  for (auto& b : t->branches)
    if (&b != except && b.orq && !b.done) nta_outgoing_tcancel(b.orq, nullptr, nullptr, TAG_END());
}

int forking_proxy::on_upstream_event(proxy_txn* t, nta_incoming_t*, const sip_t* sip) {
  if (!sip) {
    // nta is done with the server transaction (timeout or termination).
    t->irq = nullptr;
    t->final_sent = true;
    cancel_pending(t, nullptr);
    maybe_done(t);
    return 0;
  }
  if (sip->sip_request && sip->sip_request->rq_method == sip_method_cancel) {
    t->cancelled = true;
    bool any = false;
    for (auto& b : t->branches) {
      if (b.orq && !b.done) {
        nta_outgoing_tcancel(b.orq, nullptr, nullptr, TAG_END());
        any = true;
      }
    }
    if (!any && t->pending_opens == 0 && t->branches.empty()) {
      txn_reply(t, SIP_487_REQUEST_TERMINATED);  // still looking up: answer ourselves
    } else if (!any && t->branches.empty()) {
      // opens pending: finish_branch_wait answers 487 when they return
    }
    return 200;
  }
  return 0;
}

void forking_proxy::forward_response(proxy_txn* t, nta_outgoing_t* orq, bool remote) {
  msg_t* resp = nta_outgoing_getresponse(orq);
  if (!resp) return;
  sip_t* rs = sip_object(resp);
  sip_via_remove(resp, rs);
  const int status = rs->sip_status ? rs->sip_status->st_status : 0;
  sdp_context ctx{t->call_id, sdp_direction::toward_caller, remote, status};
  ctx.late_offer = t->late_offer;
  ctx.upstream_daemon = t->from_daemon;
  if (!rewrite_sdp(resp, rs, ctx)) {
    msg_destroy(resp);
    return;
  }
  if (t->irq) {
    nta_incoming_mreply(t->irq, resp);
  } else {
    msg_destroy(resp);
  }
}

int forking_proxy::on_branch_response(branch* b, nta_outgoing_t* orq, const sip_t* sip) {
  proxy_txn* t = b->txn;
  const int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
  if (status < 200) {
    if (status > 100 && !t->final_sent && sip) {
      if (t->method == sip_method_invite) dialogs_.track(sip, sip_object(t->request), b->remote);
      forward_response(t, orq, b->remote);
    }
    return 0;
  }
  if (t->method == sip_method_bye) end_dialog(t->call_id, false);  // any final answer
  if (status < 300) {
    // Every 2xx to an INVITE is forwarded (§16.7 step 5), even after the
    // first; a non-INVITE server transaction takes one final response (a
    // second one, from a forked MESSAGE, crashed nta).
    if (sip && (t->method == sip_method_invite || !t->final_sent))
      forward_response(t, orq, b->remote);
    if (t->method == sip_method_invite && sip)
      dialogs_.track(sip, sip_object(t->request), b->remote);
    t->final_sent = true;
    if (!b->done) {
      b->done = true;
      b->status = status;
      cancel_pending(t, b);
    }
    maybe_done(t);
    return 0;
  }
  if (b->done) return 0;
  b->done = true;
  b->status = status;
  if (t->method == sip_method_invite) {
    dialogs_.end(t->call_id, true);
    // The media stays while another fork may still answer.
    const bool all_failed = t->pending_opens == 0 &&
                            std::all_of(t->branches.begin(), t->branches.end(),
                                        [](const branch& o) { return o.done && o.status >= 300; });
    if (all_failed) sdp_.dialog_ended(t->call_id, true);
  }
  const int ranked = status == 503 ? 500 : status;
  if (!t->final_sent) {
    const int idx = best_response({t->best_status, ranked});
    if (!t->best || idx == 1) {
      msg_t* resp = nta_outgoing_getresponse(orq);
      if (resp) {
        sip_t* rs = sip_object(resp);
        sip_via_remove(resp, rs);
        if (status == 503) {  // §16.7 step 6: never forward a 503
          rs->sip_status->st_status = 500;
          rs->sip_status->st_phrase = "Server Internal Error";
          msg_fragment_clear(rs->sip_status->st_common);
        }
        if (t->best) msg_destroy(t->best);
        t->best = resp;
        t->best_status = ranked;
      }
    }
    if (status >= 600) cancel_pending(t, b);
  }
  maybe_done(t);
  return 0;
}

int forking_proxy::on_stray_response(nta_outgoing_t* orq, const sip_t* sip) {
  // A response no transaction matches (e.g. a 2xx retransmission after the
  // client transaction ended): forward statelessly along Via (§16.7 / §16.11)
  // when the top Via is ours; anything else is discarded (§16.11, §18.1.2),
  // so that a forged response cannot be reflected to the next Via's host.
  if (!sip || !sip->sip_via || !sip->sip_via->v_next ||
      !where_.is_ours(sip->sip_via->v_host, sip->sip_via->v_port))
    return 0;
  // A final failure to an INVITE whose client transaction is gone (e.g. the
  // 487 after a CANCEL relayed between daemons) still ends its early dialog.
  if (sip->sip_status && sip->sip_status->st_status >= 300 && sip->sip_cseq &&
      sip->sip_cseq->cs_method == sip_method_invite && sip->sip_call_id) {
    end_dialog(to_string(sip->sip_call_id->i_id), true);
  }
  msg_t* resp = nta_outgoing_getresponse(orq);
  if (!resp) return 0;
  sip_t* rs = sip_object(resp);
  sip_via_remove(resp, rs);
  // A 2xx retransmission carries the SDP again: rewritten like the first,
  // so that a far daemon's keys never reach a phone.
  const int status = rs->sip_status ? rs->sip_status->st_status : 0;
  const std::string cid = rs->sip_call_id ? to_string(rs->sip_call_id->i_id) : "";
  if (!rewrite_sdp(resp, rs, {cid, sdp_direction::toward_caller, false, status, false, true})) {
    msg_destroy(resp);
    return 0;
  }
  nta_incoming_mreply(stray_irq_, resp);
  return 0;
}

void forking_proxy::forward_ack(nta_incoming_t* irq) {
  // ACK for a 2xx is end-to-end: forward statelessly along Route, or to the
  // Request-URI, resolved first when it is a GRUU (RFC 5627).
  msg_t* orig = nta_incoming_getrequest(irq);
  std::shared_ptr<msg_t> msg = bridge_.owned_here(orig ? msg_dup(orig) : nullptr);
  if (orig) msg_destroy(orig);
  if (!msg) return;
  sip_t* s = sip_object(msg.get());
  if (s->sip_max_forwards && s->sip_max_forwards->mf_count == 0) return;
  if (s->sip_route && where_.route_is_ours(s->sip_route->r_url)) sip_route_remove(msg.get(), s);
  const std::string p2p = s->sip_route ? param_value(s->sip_route->r_url, "p2p") : std::string();
  if (!p2p.empty()) {
    auto node = wire::node_id::from_hex(p2p);
    if (node && prepare_forward(msg.get(), s, nullptr, false, true)) send_via_node(msg, *node);
    return;
  }
  if (!s->sip_route && is_gruu(s->sip_request->rq_url)) {
    route_request_uri(s->sip_request->rq_url, [this, msg](const route_decision& d) {
      if (d.status != 0 || d.targets.empty()) return;  // nowhere: dropped
      sip_t* ms = sip_object(msg.get());
      const route_target& target = d.targets.front();  // a GRUU names one instance
      if (target.where == route_target::kind::remote_node) {
        if (mark_local_only(msg.get(), ms) && prepare_forward(msg.get(), ms, nullptr, false, true))
          send_via_node(msg, target.node);
        return;
      }
      url_t* contact = url_make(msg_home(msg.get()), target.uri.c_str());
      if (contact && prepare_forward(msg.get(), ms, contact, false, false)) send_stateless(msg);
    });
    return;
  }
  if (prepare_forward(msg.get(), s, nullptr, false, false)) send_stateless(msg);
}

// Sends a stateless request (an ACK) to another daemon through the node
// channel; the message is kept until the channel answers.
void forking_proxy::send_via_node(std::shared_ptr<msg_t> msg, const wire::node_id& node) {
  auto back = bridge_.back_here<std::optional<stream_endpoint>>(
      [this, msg](std::optional<stream_endpoint> ep) {
        if (ep) send_stateless(msg, node_stream_url(*ep));
      });
  node_channel* ch = &channel_;
  bridge_.to_overlay([ch, node, back] { ch->open(node, back); });
}

// An ACK cannot be answered: one whose next hop needs DNS is dropped.
void forking_proxy::send_stateless(const std::shared_ptr<msg_t>& msg,
                                   const std::string& route_url) {
  if (!next_hop_needing_dns(sip_object(msg.get()), route_url).empty()) return;
  nta_outgoing_mcreate(agent_, nullptr, nullptr,
                       route_url.empty() ? nullptr : URL_STRING_MAKE(route_url.c_str()),
                       msg_ref_create(msg.get()), TAG_END());
}

}  // namespace p2psip::sip
