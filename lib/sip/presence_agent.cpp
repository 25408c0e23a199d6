#include "sip/presence_agent.hpp"

#include <cstring>
#include <optional>
#include <random>
#include <vector>

namespace p2psip::sip {

namespace {

constexpr const char* presence_event = "presence";
// Every subscription holds an nta leg: a bound on what watchers may hold here.
constexpr std::size_t max_subscriptions = 10000;
// A subscription restored after a restart NOTIFYs again this often, this many
// times, while the watcher's daemon cannot be reached (the overlay rejoining).
constexpr auto restore_retry_interval = std::chrono::seconds(5);
constexpr int restore_retries = 12;

std::string random_etag() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string tag;
  for (int i = 0; i < 16; ++i) tag += digits[gen() % 16];
  return tag;
}

bool is_presence(const sip_t* sip) {
  return sip->sip_event && sip->sip_event->o_type &&
         strcasecmp(sip->sip_event->o_type, presence_event) == 0;
}

// Whether the request's Accept (absent: PIDF, RFC 3856 §6.7) allows PIDF.
bool accepts_pidf(const sip_t* sip) {
  if (!sip->sip_accept) return true;
  for (const sip_accept_t* a = sip->sip_accept; a; a = a->ac_next) {
    if (!a->ac_type) continue;
    if (strcasecmp(a->ac_type, pidf_content_type) == 0 || strcmp(a->ac_type, "*/*") == 0 ||
        strcasecmp(a->ac_type, "application/*") == 0)
      return true;
  }
  return false;
}

std::string aor_of(const sip_t* sip) {
  su_home_t home[1] = {SU_HOME_INIT(home)};
  std::string aor = normalize_aor(url_str(home, sip->sip_request->rq_url));
  su_home_deinit(home);
  return aor;
}

std::string our_contact(const front_address& where) {
  const bool v6 = where.listen_host.find(':') != std::string::npos;
  return "<sip:" + (v6 ? "[" + where.listen_host + "]" : where.listen_host) + ":" +
         std::to_string(where.eps.udp.port) + ">";
}

void answer(nta_incoming_t* irq, const sip_front_config& cfg, int status, const char* phrase,
            tag_type_t tag, tag_value_t value, ...) {
  ta_list ta;
  ta_start(ta, tag, value);
  nta_incoming_treply(irq, status, phrase, SIPTAG_SERVER_STR(cfg.user_agent.c_str()), ta_tags(ta));
  ta_end(ta);
  nta_incoming_destroy(irq);
}

}  // namespace

const char* to_string(presence_source source) {
  switch (source) {
    case presence_source::unregistered: return "unregistered";
    case presence_source::registration: return "registration";
    case presence_source::published: return "published";
    case presence_source::remote: return "remote";
  }
  return "unregistered";
}

presence_agent::presence_agent(nta_agent_t* agent, const sip_front_config& cfg,
                               const front_address& where, const binding_table& bindings,
                               const thread_bridge& bridge, nta_request_f* leg_callback,
                               nta_leg_magic_t* leg_magic,
                               std::function<void(const presence_view&)> on_change,
                               std::function<void(const presence_view&)> on_followed,
                               std::function<void(saved_presence)> on_presence_state)
    : agent_(agent),
      cfg_(cfg),
      where_(where),
      bindings_(bindings),
      bridge_(bridge),
      leg_callback_(leg_callback),
      leg_magic_(leg_magic),
      on_change_(std::move(on_change)),
      on_followed_(std::move(on_followed)),
      on_presence_state_(std::move(on_presence_state)),
      publications_(random_etag) {}

presence_agent::~presence_agent() {
  for (auto& [token, f] : fetches_)
    if (f->orq) nta_outgoing_destroy(f->orq);
  for (auto& [leg, s] : subscriptions_) {
    if (s->notify) nta_outgoing_destroy(s->notify);
    nta_leg_destroy(leg);
  }
}

bool presence_agent::serves(const sip_t* sip, const std::string& aor, bool local_only) const {
  return is_presence(sip) && (local_only || !bindings_.lookup(aor, sip_clock::now()).empty());
}

presence_view presence_agent::view(const std::string& aor) const {
  const auto now = sip_clock::now();
  presence_view v;
  v.aor = aor;
  if (bindings_.lookup(aor, now).empty()) {
    v.source = presence_source::unregistered;
    return v;
  }
  if (const publication* p = publications_.current(aor, now)) {
    v.open = p->status.open;
    v.note = p->status.note;
    v.activity = p->status.activity;
    v.source = presence_source::published;
    return v;
  }
  v.open = true;
  v.source = presence_source::registration;
  return v;
}

std::string presence_agent::document(const std::string& aor) const {
  const auto v = view(aor);
  if (v.source == presence_source::published)
    return publications_.current(aor, sip_clock::now())->document;
  if (const presence_view* far = polls_.last(aor); far && v.source == presence_source::unregistered)
    return make_pidf(aor, {far->open, far->note, far->activity});
  return make_pidf(aor, {v.open, {}, {}});
}

// ------------------------------------------------------------------ PUBLISH
void presence_agent::handle_publish(nta_incoming_t* irq, const sip_t* sip) {
  const std::string aor = aor_of(sip);
  if (!is_presence(sip))
    return answer(irq, cfg_, SIP_489_BAD_EVENT, SIPTAG_ALLOW_EVENTS_STR(presence_event), TAG_END());
  if (cfg_.may_register && !cfg_.may_register(aor))
    return answer(irq, cfg_, 403, "Forbidden: not an AOR of this daemon", TAG_END());
  const bool has_body = sip->sip_payload && sip->sip_payload->pl_len > 0;
  if (has_body && (!sip->sip_content_type || !sip->sip_content_type->c_type ||
                   strcasecmp(sip->sip_content_type->c_type, pidf_content_type) != 0))
    return answer(irq, cfg_, SIP_415_UNSUPPORTED_MEDIA, SIPTAG_ACCEPT_STR(pidf_content_type),
                  TAG_END());
  publish_request req;
  req.aor = aor;
  if (sip->sip_if_match && sip->sip_if_match->g_string) req.if_match = sip->sip_if_match->g_string;
  if (sip->sip_expires) req.expires = std::chrono::seconds(sip->sip_expires->ex_delta);
  if (has_body) req.body = std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  const publish_outcome o = publications_.publish(req, sip_clock::now());
  if (o.status == 423) {
    const std::string min = std::to_string(o.min_expires.count());
    return answer(irq, cfg_, 423, "Interval Too Brief", SIPTAG_MIN_EXPIRES_STR(min.c_str()),
                  TAG_END());
  }
  if (o.status != 200) return answer(irq, cfg_, o.status, o.phrase.c_str(), TAG_END());
  const std::string expires = std::to_string(o.expires.count());
  answer(irq, cfg_, SIP_200_OK, SIPTAG_ETAG_STR(o.etag.c_str()),
         SIPTAG_EXPIRES_STR(expires.c_str()), TAG_END());
  presence_state_changed();  // a new entity-tag or expiry at least
  if (o.changed) changed(aor);
}

void presence_agent::presence_state_changed(bool soon) {
  if (soon) {
    state_unsaved_ = true;
    return;
  }
  state_unsaved_ = false;
  if (!on_presence_state_) return;
  bridge_.to_overlay([cb = on_presence_state_, all = saved_state()] { cb(all); });
}

std::vector<saved_subscription> presence_agent::saved_subscriptions(
    sip_clock::time_point now) const {
  std::vector<saved_subscription> out;
  for (const auto& [leg, s] : subscriptions_) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(s->expires_at - now);
    if (s->terminated || left.count() <= 0 || s->dialog.call_id.empty()) continue;
    out.push_back({s->aor, s->dialog, nta_leg_get_seq(leg), s->followed, left});
  }
  return out;
}

void presence_agent::restore(const saved_presence& saved) {
  if (publications_.restore(saved.publications, sip_clock::now()) > 0) {
    for (const auto& p : saved.publications) changed(p.aor);
  }
  std::size_t restored = 0;
  for (const auto& s : saved.subscriptions) restored += restore(s) ? 1 : 0;
  if (restored > 0) presence_state_changed();
}

bool presence_agent::restore(const saved_subscription& saved) {
  if (subscriptions_.size() >= max_subscriptions) return false;
  if (saved.followed && !polls_.follow(saved.aor, sip_clock::now())) return false;
  su_home_t home[1] = {SU_HOME_INIT(home)};
  // NOTIFYs sent in the second before the last save are not in `cseq`: the
  // dialog goes on well past it (RFC 3261 asks only that CSeqs grow).
  sip_cseq_t* cseq = sip_cseq_create(home, saved.cseq + 100, SIP_METHOD_NOTIFY);
  // This front first, as accept() answered, at its address of today.
  const std::string routes =
      where_.record_route() + (saved.dialog.route.empty() ? "" : ", " + saved.dialog.route);
  sip_record_route_t* route = sip_record_route_make(home, routes.c_str());
  sip_contact_t* target = sip_contact_make(home, saved.dialog.target.c_str());
  nta_leg_t* leg = cseq && route && target
                       ? nta_leg_tcreate(agent_, leg_callback_, leg_magic_,
                                         SIPTAG_CALL_ID_STR(saved.dialog.call_id.c_str()),
                                         SIPTAG_FROM_STR(saved.dialog.local.c_str()),
                                         SIPTAG_TO_STR(saved.dialog.remote.c_str()),
                                         SIPTAG_CSEQ(cseq), TAG_END())
                       : nullptr;
  const bool ok = leg && nta_leg_server_route(leg, route, target) >= 0;
  su_home_deinit(home);
  if (!ok) {
    if (leg) nta_leg_destroy(leg);
    if (saved.followed) polls_.unfollow(saved.aor);
    return false;
  }
  subscription& s = add(leg, saved.aor, sip_clock::now() + saved.remaining, saved.dialog);
  s.followed = saved.followed;
  s.restore_retries = restore_retries;
  s.saved = true;  // restore(const saved_presence&) saves them all at the end
  notify(s);       // the watcher hears the state now; a 481 from it ends this
  return true;
}

// ------------------------------------------------------------------ SUBSCRIBE
presence_agent::granted presence_agent::grant(const sip_t* sip) const {
  const auto& limits = cfg_.limits;
  std::chrono::seconds asked = sip->sip_expires ? std::chrono::seconds(sip->sip_expires->ex_delta)
                                                : std::chrono::seconds(3600);  // RFC 3856 §6.4
  if (asked.count() > 0 && asked < limits.min_expires) return {423, limits.min_expires};
  return {200, std::min(asked, limits.max_expires)};
}

void presence_agent::handle_subscribe(nta_incoming_t* irq, const sip_t* sip) {
  if (subscription* s = accept(irq, sip)) notify(*s);  // the initial NOTIFY (RFC 6665 §4.2.1.2)
}

bool presence_agent::adopt_subscribe(nta_incoming_t* irq, const sip_t* sip) {
  const std::string aor = aor_of(sip);
  if (!is_presence(sip) || (sip->sip_expires && sip->sip_expires->ex_delta == 0) ||
      !cfg_.may_watch || !cfg_.may_watch(aor))
    return false;
  if (!polls_.follow(aor, sip_clock::now())) {
    answer(irq, cfg_, 503, "Too many AORs followed at this daemon", SIPTAG_RETRY_AFTER_STR("60"),
           TAG_END());
    return true;
  }
  subscription* s = accept(irq, sip);
  if (!s) {
    polls_.unfollow(aor);
    return true;
  }
  s->followed = true;
  notify(*s);
  return true;
}

presence_agent::subscription* presence_agent::accept(nta_incoming_t* irq, const sip_t* sip) {
  const std::string aor = aor_of(sip);
  if (!accepts_pidf(sip)) {
    answer(irq, cfg_, SIP_406_NOT_ACCEPTABLE, SIPTAG_ACCEPT_STR(pidf_content_type), TAG_END());
    return nullptr;
  }
  if (!sip->sip_contact) {
    answer(irq, cfg_, 400, "Missing Contact", TAG_END());
    return nullptr;
  }
  if (subscriptions_.size() >= max_subscriptions) {
    answer(irq, cfg_, 503, "Too many presence subscriptions at this daemon",
           SIPTAG_RETRY_AFTER_STR("60"), TAG_END());
    return nullptr;
  }
  const granted g = grant(sip);
  if (g.status == 423) {
    const std::string min = std::to_string(g.expires.count());
    answer(irq, cfg_, 423, "Interval Too Brief", SIPTAG_MIN_EXPIRES_STR(min.c_str()), TAG_END());
    return nullptr;
  }
  su_home_t home[1] = {SU_HOME_INIT(home)};
  sip_record_route_t* route = sip_record_route_make(home, where_.record_route().c_str());
  if (route && sip->sip_record_route)
    route->r_next = sip_record_route_dup(home, sip->sip_record_route);
  nta_leg_t* leg =
      nta_leg_tcreate(agent_, leg_callback_, leg_magic_, SIPTAG_CALL_ID(sip->sip_call_id),
                      SIPTAG_FROM(sip->sip_to), SIPTAG_TO(sip->sip_from), TAG_END());
  if (!route || !leg || !nta_leg_tag(leg, nullptr) ||
      nta_leg_server_route(leg, route, sip->sip_contact) < 0) {
    if (leg) nta_leg_destroy(leg);
    su_home_deinit(home);
    answer(irq, cfg_, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
    return nullptr;
  }
  nta_incoming_tag(irq, nta_leg_get_tag(leg));
  subscription_dialog dialog;
  dialog.call_id = sip->sip_call_id->i_id;
  dialog.local = "<" + url_str(home, sip->sip_to->a_url) + ">;tag=" + nta_leg_get_tag(leg);
  if (sip->sip_from->a_tag)  // RFC 3261 asks for one; without it the dialog is not saved
    dialog.remote = "<" + url_str(home, sip->sip_from->a_url) + ">;tag=" + sip->sip_from->a_tag;
  else
    dialog.call_id.clear();
  // Without this front's own entry: its port may change across a restart.
  for (const sip_record_route_t* r = sip->sip_record_route; r; r = r->r_next) {
    if (!dialog.route.empty()) dialog.route += ", ";
    dialog.route += "<" + url_str(home, r->r_url) + ">";
    for (const msg_param_t* p = r->r_params; p && *p; ++p) dialog.route += std::string(";") + *p;
  }
  dialog.target = "<" + url_str(home, sip->sip_contact->m_url) + ">";
  if (g.expires.count() == 0) dialog.call_id.clear();  // a fetch: nothing to keep
  const std::string expires = std::to_string(g.expires.count());
  const std::string contact = our_contact(where_);
  answer(irq, cfg_, SIP_200_OK, SIPTAG_RECORD_ROUTE(route), SIPTAG_CONTACT_STR(contact.c_str()),
         SIPTAG_EXPIRES_STR(expires.c_str()), TAG_END());
  su_home_deinit(home);
  // Its initial NOTIFY follows (and saves it, knowing its CSeq); with
  // Expires 0, a fetch.
  return &add(leg, aor, sip_clock::now() + g.expires, std::move(dialog));
}

presence_agent::subscription& presence_agent::add(nta_leg_t* leg, std::string aor,
                                                  sip_clock::time_point expires_at,
                                                  subscription_dialog dialog) {
  auto s = std::make_unique<subscription>();
  s->owner = this;
  s->leg = leg;
  s->aor = std::move(aor);
  s->expires_at = expires_at;
  s->sender.sub = s.get();
  s->dialog = std::move(dialog);
  subscription& ref = *s;
  subscriptions_.emplace(leg, std::move(s));
  return ref;
}

int presence_agent::in_dialog(nta_leg_t* leg, nta_incoming_t* irq, const sip_t* sip) {
  auto it = subscriptions_.find(leg);
  if (it == subscriptions_.end()) return 481;
  subscription& s = *it->second;
  if (sip->sip_request->rq_method != sip_method_subscribe) {
    answer(irq, cfg_, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR("SUBSCRIBE"), TAG_END());
    return 0;
  }
  if (!is_presence(sip)) {
    answer(irq, cfg_, SIP_489_BAD_EVENT, SIPTAG_ALLOW_EVENTS_STR(presence_event), TAG_END());
    return 0;
  }
  if (s.terminated) return 481;
  const granted g = grant(sip);
  if (g.status == 423) {
    const std::string min = std::to_string(g.expires.count());
    answer(irq, cfg_, 423, "Interval Too Brief", SIPTAG_MIN_EXPIRES_STR(min.c_str()), TAG_END());
    return 0;
  }
  const std::string expires = std::to_string(g.expires.count());
  answer(irq, cfg_, SIP_200_OK, SIPTAG_EXPIRES_STR(expires.c_str()), TAG_END());
  s.expires_at = sip_clock::now() + g.expires;
  notify(s);  // a refresh is answered with the current state; Expires 0 ends it
  if (!s.dialog.call_id.empty()) presence_state_changed();  // the new expiry
  return 0;
}

// ------------------------------------------------------------------ NOTIFY
void presence_agent::notify(subscription& s) {
  if (s.notify) {
    s.again = true;
    return;
  }
  const auto now = sip_clock::now();
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(s.expires_at - now).count();
  s.terminated = left <= 0;
  const std::string state = s.terminated ? std::string("terminated;reason=timeout")
                                         : "active;expires=" + std::to_string(left);
  const std::string body = document(s.aor);
  const std::string contact = our_contact(where_);
  s.again = false;
  s.notify = nta_outgoing_tcreate(
      s.leg, response_handler::dispatch, &s.sender, nullptr, SIP_METHOD_NOTIFY, nullptr,
      SIPTAG_EVENT_STR(presence_event), SIPTAG_SUBSCRIPTION_STATE_STR(state.c_str()),
      SIPTAG_CONTACT_STR(contact.c_str()), SIPTAG_MAX_FORWARDS_STR("70"),
      SIPTAG_USER_AGENT_STR(cfg_.user_agent.c_str()), SIPTAG_CONTENT_TYPE_STR(pidf_content_type),
      SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
  if (!s.notify) s.terminated = true;  // dropped on the next tick
  if (s.dialog.call_id.empty()) return;
  // Its CSeq: the first NOTIFY of a dialog at once (a restart right after
  // must not restore the dialog below it), later ones within a second.
  presence_state_changed(s.saved);
  s.saved = true;
}

saved_presence presence_agent::saved_state() const {
  const auto now = sip_clock::now();
  return {publications_.saved(now), saved_subscriptions(now)};
}

int presence_agent::notify_sender::on_response(nta_outgoing_t*, const sip_t* sip) {
  const int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
  if (status < 200) return 0;
  subscription& s = *sub;
  nta_outgoing_destroy(s.notify);
  s.notify = nullptr;
  // Right after a restart the watcher's daemon may not be reachable yet:
  // a restored subscription tries again a few times, unless the watcher
  // says the dialog is gone (481).
  if (status >= 300 && status != 481 && !s.terminated && s.restore_retries > 0) {
    --s.restore_retries;
    s.retry_at = sip_clock::now() + restore_retry_interval;
    return 0;
  }
  // A NOTIFY refused or unanswered ends the subscription (RFC 6665 §4.2.2).
  if (status >= 300 || s.terminated) {
    s.owner->drop(&s);
    return 0;
  }
  if (s.again) s.owner->notify(s);
  return 0;
}

void presence_agent::drop(subscription* s) {
  auto it = subscriptions_.find(s->leg);
  if (it == subscriptions_.end()) return;
  if (s->notify) nta_outgoing_destroy(s->notify);
  if (s->followed) polls_.unfollow(s->aor);
  const bool saved = !s->dialog.call_id.empty();
  nta_leg_destroy(s->leg);
  subscriptions_.erase(it);
  if (saved) presence_state_changed(true);
}

// ------------------------------------------------------------------ changes
void presence_agent::changed(const std::string& aor) {
  for (auto& [leg, s] : subscriptions_)
    if (s->aor == aor && !s->terminated) notify(*s);
  const presence_view now = view(aor);
  auto it = last_seen_.find(aor);
  const bool known = it != last_seen_.end();
  if (known && it->second.open == now.open && it->second.note == now.note &&
      it->second.activity == now.activity)
    return;
  if (!known && !now.open && now.source == presence_source::unregistered) return;
  if (now.source == presence_source::unregistered) {
    last_seen_.erase(aor);
  } else {
    last_seen_[aor] = now;
  }
  if (on_change_) bridge_.to_overlay([cb = on_change_, now] { cb(now); });
}

void presence_agent::registration_changed(const std::string& aor) { changed(aor); }

void presence_agent::expire_due() {
  const auto now = sip_clock::now();
  const std::size_t published = publications_.size();
  for (const auto& aor : publications_.expire(now)) changed(aor);
  if (publications_.size() != published) presence_state_changed();
  std::vector<subscription*> ended;
  for (auto& [leg, s] : subscriptions_) {
    if (s->retry_at != sip_clock::time_point{} && s->retry_at <= now && !s->notify) {
      s->retry_at = {};
      notify(*s);
    }
    if (!s->terminated && s->expires_at <= now && !s->notify) notify(*s);
    if (s->terminated && !s->notify) ended.push_back(s.get());
  }
  for (auto* s : ended) drop(s);
  if (state_unsaved_) presence_state_changed();
  std::vector<std::string> late;
  for (auto& [token, f] : fetches_)
    if (f->deadline <= now) late.push_back(token);
  for (const auto& token : late)
    finish_fetch(token, {408, "No NOTIFY from the presence agent", {}});
  poll_followed();
}

// ------------------------------------------------------------------ followed AORs
bool presence_agent::follow(const std::string& aor, const presence_view& known) {
  return polls_.follow(aor, sip_clock::now(), known);
}

void presence_agent::unfollow(const std::string& aor) { polls_.unfollow(aor); }

void presence_agent::poll_followed() {
  for (const auto& aor : polls_.due(sip_clock::now())) {
    start_fetch(aor, [this, aor](const remote_presence& far) {
      std::optional<presence_view> seen;
      if (far.status == 200) {
        seen = far.view;
      } else if (far.status == 404 || far.status == 480) {
        seen = presence_view{};  // registered nowhere, or nowhere reachable: closed
        seen->aor = aor;
      }
      if (!polls_.observed(aor, seen, sip_clock::now())) return;
      for (auto& [leg, s] : subscriptions_)
        if (s->followed && s->aor == aor && !s->terminated) notify(*s);
      if (on_followed_) bridge_.to_overlay([cb = on_followed_, v = *polls_.last(aor)] { cb(v); });
    });
  }
}

// ------------------------------------------------------------------ fetch
void presence_agent::fetch(const std::string& aor, std::function<void(remote_presence)> done) {
  start_fetch(aor, [this, done = std::move(done)](remote_presence r) {
    bridge_.to_overlay([done, r = std::move(r)] { done(r); });
  });
}

void presence_agent::start_fetch(const std::string& aor,
                                 std::function<void(remote_presence)> done) {
  const std::string token = random_etag();
  const std::string host = where_.listen_host.find(':') != std::string::npos
                               ? "[" + where_.listen_host + "]"
                               : where_.listen_host;
  const std::string self = "sip:" + host + ":" + std::to_string(where_.eps.udp.port);
  const std::string contact = "<" + self + ";" + presence_fetch_param + "=" + token + ">";
  const std::string from = "<sip:p2psipd@" + host + ">";
  msg_t* msg = nta_msg_create(agent_, 0);
  sip_t* sip = msg ? sip_object(msg) : nullptr;
  su_home_t* mh = msg ? msg_home(msg) : nullptr;
  url_t* ruri = msg ? url_make(mh, aor.c_str()) : nullptr;
  sip_from_t* f = msg ? sip_from_make(mh, from.c_str()) : nullptr;
  if (!ruri || !f || aor.empty() ||
      sip_add_tl(msg, sip,
                 SIPTAG_REQUEST(sip_request_create(mh, SIP_METHOD_SUBSCRIBE,
                                                   (url_string_t const*)ruri, nullptr)),
                 SIPTAG_FROM(f), SIPTAG_TO_STR(aor.c_str()),
                 SIPTAG_CALL_ID(sip_call_id_create(mh, nullptr)),
                 SIPTAG_CSEQ(sip_cseq_create(mh, 1, SIP_METHOD_SUBSCRIBE)),
                 SIPTAG_EVENT_STR(presence_event), SIPTAG_EXPIRES_STR("0"),
                 SIPTAG_ACCEPT_STR(pidf_content_type), SIPTAG_CONTACT_STR(contact.c_str()),
                 SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_USER_AGENT_STR(cfg_.user_agent.c_str()),
                 TAG_END()) < 0) {
    if (msg) msg_destroy(msg);
    done({400, "Bad AOR", {}});
    return;
  }
  sip_from_tag(mh, f, nta_agent_newtag(mh, "tag=%s", agent_));
  auto p = std::make_unique<pending_fetch>();
  p->owner = this;
  p->token = token;
  p->aor = aor;
  p->deadline = sip_clock::now() + std::chrono::seconds(5);
  p->done = std::move(done);
  pending_fetch& ref = *p;
  fetches_.emplace(token, std::move(p));
  ref.orq = nta_outgoing_mcreate(agent_, response_handler::dispatch, &ref,
                                 URL_STRING_MAKE(self.c_str()), msg, TAG_END());
  if (!ref.orq) finish_fetch(token, {500, "Server Internal Error", {}});
}

int presence_agent::pending_fetch::on_response(nta_outgoing_t*, const sip_t* sip) {
  const int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
  if (status < 200) return 0;
  nta_outgoing_destroy(orq);
  orq = nullptr;
  if (status >= 300) {
    owner->finish_fetch(
        token, {status, sip && sip->sip_status ? to_string(sip->sip_status->st_phrase) : "", {}});
  }
  return 0;  // 2xx: the NOTIFY follows
}

void presence_agent::fetched(nta_incoming_t* irq, const sip_t* sip, const std::string& token) {
  auto it = fetches_.find(token);
  if (it == fetches_.end() || sip->sip_request->rq_method != sip_method_notify)
    return answer(irq, cfg_, 481, "No Such Fetch", TAG_END());
  const bool is_pidf = sip->sip_payload && sip->sip_content_type && sip->sip_content_type->c_type &&
                       strcasecmp(sip->sip_content_type->c_type, pidf_content_type) == 0;
  const pidf_parse parsed =
      is_pidf ? parse_pidf(std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len))
              : pidf_parse{{}, "no PIDF body"};
  if (!parsed.status) {
    answer(irq, cfg_, 400, "Bad PIDF document", TAG_END());
    return finish_fetch(token, {502, "Bad PIDF from the presence agent: " + parsed.error, {}});
  }
  answer(irq, cfg_, SIP_200_OK, TAG_END());
  remote_presence r{200, "OK", {}};
  r.view.aor = it->second->aor;
  r.view.open = parsed.status->open;
  r.view.note = parsed.status->note;
  r.view.activity = parsed.status->activity;
  r.view.source = presence_source::remote;
  finish_fetch(token, std::move(r));
}

void presence_agent::finish_fetch(const std::string& token, remote_presence result) {
  auto it = fetches_.find(token);
  if (it == fetches_.end()) return;
  auto f = std::move(it->second);
  fetches_.erase(it);
  if (f->orq) nta_outgoing_destroy(f->orq);
  f->done(std::move(result));
}

}  // namespace p2psip::sip
