// The facade of the SIP front: owns the sip thread, its su_root and the nta
// agent, and wires the parts (registrar, digest_auth, forking_proxy,
// dialog_tracker, message_originator) to the requests nta delivers.
// Everything in `impl` except the mailbox runs on the sip thread; see
// sip_front.hpp for the threading model.
#include "sip/sip_front.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "sip/app_delivery.hpp"
#include "sip/call_controller.hpp"
#include "sip/dialog_tracker.hpp"
#include "sip/digest_auth.hpp"
#include "sip/forking_proxy.hpp"
#include "sip/front_internal.hpp"
#include "sip/message_originator.hpp"
#include "sip/presence_agent.hpp"
#include "sip/registrar.hpp"

#include <sofia-sip/tport_tag.h>

namespace p2psip::sip {

namespace {

constexpr const char* allowed_methods =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY, UPDATE, INFO, PRACK, REFER, "
    "REGISTER";

}  // namespace

struct sip_front::impl {
  sip_front_config cfg;
  overlay_directory& directory;
  node_channel& channel;
  std::shared_ptr<sdp_rewriter> sdp;
  thread_bridge bridge;

  std::thread thread;
  front_address where;
  bool stopped = false;
  std::string start_error;  // why start_agent failed, when not a socket error

  // ---- sip thread only below (the registrar's bindings also after it) ----
  su_home_t home[1] = {};
  su_root_t* root = nullptr;
  su_wait_t wait[1] = {};
  su_timer_t* tick = nullptr;
  nta_agent_t* agent = nullptr;
  nta_leg_t* leg = nullptr;
  digest_auth digest;
  registrar reg;
  dialog_tracker dialogs;
  std::unique_ptr<forking_proxy> proxy;          // while the agent lives
  std::unique_ptr<message_originator> messages;  // while the agent lives
  std::unique_ptr<call_controller> calls;        // while the agent lives
  std::unique_ptr<presence_agent> presence;      // while the agent lives
  app_delivery apps;
  std::function<void(const presence_view&)> on_presence;
  std::function<void(const presence_view&)> on_followed_presence;
  std::function<void(saved_presence)> on_presence_state;
  std::optional<saved_presence> final_presence;  // taken as the agent stops
  std::uint32_t app_cseq = 0;  // the CSeq of bind_app's register_requests

  impl(sip_front_config c, overlay_directory& d, node_channel& ch, executor ex, sip_events ev,
       std::shared_ptr<sdp_rewriter> s)
      : cfg(std::move(c)),
        directory(d),
        channel(ch),
        sdp(std::move(s)),
        bridge(std::move(ex)),
        where{cfg.listen_host, cfg.self.hex(), {}, nullptr},
        digest(home, cfg),
        reg(home, cfg, directory, bridge, digest, std::move(ev.on_registration),
            std::move(ev.on_registered)),
        dialogs(home, where, bridge, std::move(ev.on_dialog)),
        apps(home, cfg, bridge, std::move(ev.on_app_message)),
        on_presence(std::move(ev.on_presence)),
        on_followed_presence(std::move(ev.on_followed_presence)),
        on_presence_state(std::move(ev.on_presence_state)) {}

  void run(std::promise<void>& started);
  bool start_agent();
  void shutdown_agent();
  int on_request(nta_incoming_t* irq, const sip_t* sip);
  app_binding_answer bind_app(const std::string& aor, const std::string& token,
                              std::chrono::seconds expires);
  void on_node_unreachable(const wire::node_id& node);
};

// ====================================================================== C glue
namespace {

int leg_cb(sip_front::impl* f, nta_leg_t*, nta_incoming_t* irq, const sip_t* sip) {
  return f->on_request(irq, sip);
}
int mailbox_cb(sip_front::impl* f, su_wait_t*, void*) {
  f->bridge.box().drain();
  return 0;
}
void tick_cb(sip_front::impl* f, su_timer_t*, void*) {
  f->reg.expire_due();
  f->presence->expire_due();
}
int subscription_cb(sip_front::impl* f, nta_leg_t* leg, nta_incoming_t* irq, const sip_t* sip) {
  return f->presence->in_dialog(leg, irq, sip);
}
int agent_cb(sip_front::impl*, nta_agent_t*, msg_t* msg, sip_t*) {
  msg_destroy(msg);  // stray stateless messages: dropped
  return 0;
}

// Why the front's address cannot be bound. sofia's clean-up overwrites
// errno, so bind it again, UDP then TCP, and tell the first failure; a port
// in use is most often a softphone of this box on its default port.
std::string bind_failure(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    return "not an IP address";
  std::string why = "sofia-sip refused it";
  for (const int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const int fd = ::socket(found->ai_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      why = std::system_category().message(errno);
      break;
    }
    const int on = 1;
    if (type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const bool bound = ::bind(fd, found->ai_addr, found->ai_addrlen) == 0;
    const int cause = errno;
    ::close(fd);
    if (!bound) {
      why = std::system_category().message(cause);
      if (cause == EADDRINUSE)
        why +=
            " (another program holds the port, such as a softphone on its default port "
            "5060: give the phone a random local SIP port, see p2psipd(8) SIP)";
      break;
    }
  }
  freeaddrinfo(found);
  return why;
}

}  // namespace

// ====================================================================== lifecycle
void sip_front::impl::run(std::promise<void>& started) {
  su_init();
  su_home_init(home);
  root = su_root_create(this);
  if (!root || !start_agent()) {
    const std::string why = start_error.empty() ? "sip: cannot listen on " + cfg.listen_host + ":" +
                                                      std::to_string(cfg.listen_port) + ": " +
                                                      bind_failure(cfg.listen_host, cfg.listen_port)
                                                : "sip: " + start_error;
    shutdown_agent();
    if (root) su_root_destroy(root), root = nullptr;
    su_home_deinit(home);
    su_deinit();
    started.set_exception(std::make_exception_ptr(std::runtime_error(why)));
    return;
  }
  started.set_value();
  su_root_run(root);
  shutdown_agent();
  su_root_destroy(root);
  root = nullptr;
  su_home_deinit(home);
  su_deinit();
}

bool sip_front::impl::start_agent() {
  const bool v6 = cfg.listen_host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + cfg.listen_host + "]" : cfg.listen_host;
  const std::string port = cfg.listen_port == 0 ? "*" : std::to_string(cfg.listen_port);
  const std::string url = "sip:" + host + ":" + port;
  agent = nta_agent_create(root, URL_STRING_MAKE(url.c_str()), agent_cb, this, NTATAG_UA(0),
                           NTATAG_SERVER_RPORT(1), NTATAG_MAXSIZE(cfg.max_message_size),
                           NTATAG_CANCEL_487(0),
                           // Any header that does not parse gets nta's stateless 400 ("Bad X
                           // Header"): junk costs no transaction kept for Timer H (32 s).
                           NTATAG_BAD_REQ_MASK(~0U),
                           // no STUN answers on the SIP port (and no sofia leak on junk)
                           TPTAG_STUN_SERVER(0), NTATAG_PASS_100(0), NTATAG_TIMEOUT_408(1),
                           // A burst of REGISTERs while this thread waits for a core overflowed
                           // the default 208 KiB and cost 500 ms retransmissions (the kernel caps
                           // it at net.core.rmem_max).
                           TPTAG_UDP_RMEM(4U << 20), TAG_END());
  if (!agent) return false;
  // One port for both transports: use UDP's when an ephemeral one was asked.
  for (sip_via_t* v = nta_agent_via(agent); v; v = v->v_next) {
    stream_endpoint e{cfg.listen_host, port_of(v->v_port)};
    if (v->v_protocol && strcasecmp(v->v_protocol, sip_transport_udp) == 0) {
      where.eps.udp = e;
    } else if (v->v_protocol && strcasecmp(v->v_protocol, sip_transport_tcp) == 0) {
      where.eps.tcp = e;
    }
  }
  if (where.eps.udp.port == 0 || where.eps.tcp.port == 0) return false;
  leg = nta_leg_tcreate(agent, leg_cb, this, NTATAG_NO_DIALOG(1), TAG_END());
  if (!leg) return false;
  where.agent = agent;
  proxy = std::make_unique<forking_proxy>(agent, home, cfg, where, reg.bindings(), directory,
                                          channel, bridge, dialogs, *sdp);
  if (!proxy->catch_strays()) return false;
  if (!digest.start(root, start_error)) return false;
  messages = std::make_unique<message_originator>(agent, cfg, where, bridge);
  calls = std::make_unique<call_controller>(agent, home, cfg, where, bridge, dialogs, *sdp);
  presence =
      std::make_unique<presence_agent>(agent, cfg, where, reg.bindings(), bridge, subscription_cb,
                                       this, on_presence, on_followed_presence, on_presence_state);
  reg.watch_changes([this](const std::string& aor) { presence->registration_changed(aor); });
  proxy->adopt_unrouted_subscribes([this](nta_incoming_t* irq, const sip_t* sip) {
    return presence->adopt_subscribe(irq, sip);
  });
  auto lost = bridge.back_here<wire::node_id>(
      [this](const wire::node_id& node) { on_node_unreachable(node); });
  bridge.to_overlay([ch = &channel, lost] { ch->on_unreachable(lost); });

  su_wait_create(wait, bridge.box().fd(), SU_WAIT_IN);
  if (su_root_register(root, wait, mailbox_cb, nullptr, 0) < 0) return false;
  tick = su_timer_create(su_root_task(root), 1000);
  if (!tick || su_timer_set_for_ever(tick, tick_cb, nullptr) < 0) return false;
  return true;
}

void sip_front::impl::shutdown_agent() {
  if (tick) su_timer_destroy(tick), tick = nullptr;
  if (root) su_root_unregister(root, wait, mailbox_cb, nullptr);
  calls.reset();
  reg.watch_changes({});
  if (presence) final_presence = presence->saved_state();
  presence.reset();
  messages.reset();
  proxy.reset();
  if (leg) nta_leg_destroy(leg), leg = nullptr;
  digest.stop();
  if (agent) nta_agent_destroy(agent), agent = nullptr;
  where.agent = nullptr;
}

// ====================================================================== requests
// Routing rules, in the order of sip_front.hpp.
int sip_front::impl::on_request(nta_incoming_t* irq, const sip_t* sip) {
  if (!sip || !sip->sip_request) return 400;
  const sip_method_t method = sip->sip_request->rq_method;
  if (!sip->sip_from || !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq || !sip->sip_via) {
    if (method == sip_method_ack) {
      nta_incoming_destroy(irq);
      return 0;
    }
    return 400;
  }
  const url_t* ruri = sip->sip_request->rq_url;
  // A Request-URI without a usable host: 400 (an ACK cannot be answered and
  // is dropped, §17.2.3). nta answered headers that do not parse already.
  const bool bad_ruri = !ruri || (ruri->url_type != url_sip && ruri->url_type != url_sips) ||
                        !ruri->url_host || !*ruri->url_host ||
                        std::strchr(ruri->url_host, '@') != nullptr ||
                        normalize_aor(url_str(home, ruri)).empty();
  if (bad_ruri) {
    if (method != sip_method_ack) nta_incoming_treply(irq, 400, "Bad Request-URI", TAG_END());
    nta_incoming_destroy(irq);
    return 0;
  }

  if (method == sip_method_ack) {
    proxy->forward_ack(irq);
    nta_incoming_destroy(irq);  // an ACK has no server transaction to keep
    return 0;
  }
  if (method == sip_method_cancel) return 481;  // nta matched none of ours

  // Our own Route entry (we record-routed, or the UA uses us as outbound proxy).
  const sip_route_t* route = sip->sip_route;
  bool pop_route = route && where.route_is_ours(route->r_url);
  const sip_route_t* next_route = pop_route ? route->r_next : route;

  // An app's contact (app_delivery.hpp): bound only by this front.
  if (const std::string app = param_value(ruri, app_token_param); !app.empty() && !next_route) {
    apps.handle(irq, sip, app);
    return 0;
  }
  // The click-to-call controller's contact (call_controller.hpp).
  if (const std::string id = param_value(ruri, call_param); !id.empty() && !next_route) {
    calls->handle(irq, sip, id);
    return 0;
  }

  // The NOTIFY answering one of the presence agent's fetches.
  if (const std::string fetch = param_value(ruri, presence_fetch_param);
      !fetch.empty() && !next_route) {
    presence->fetched(irq, sip, fetch);
    return 0;
  }

  // For the daemon itself: no user part (OPTIONS keepalives and pings, or
  // anything addressed to our own host:port).
  const bool for_self_uri = (!ruri->url_user || !*ruri->url_user) && !next_route &&
                            (method == sip_method_options || where.route_is_ours(ruri));
  if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
    if (method == sip_method_options && (for_self_uri || where.route_is_ours(ruri))) {
      return 200;
    }
    if (method != sip_method_register) return 483;
  }

  if (method == sip_method_register && !next_route) {
    // Answered (nta keeps absorbing retransmissions), or the registrar
    // answers once the account gate has decided.
    if (reg.handle(irq, sip)) nta_incoming_destroy(irq);
    return 0;
  }

  if (for_self_uri ||
      (method == sip_method_options && where.route_is_ours(ruri) && !next_route &&
       reg.bindings().lookup(normalize_aor(url_str(home, ruri)), sip_clock::now()).empty())) {
    if (method == sip_method_options) {
      nta_incoming_treply(irq, SIP_200_OK, SIPTAG_ALLOW_STR(allowed_methods),
                          SIPTAG_ACCEPT_STR("application/sdp"),
                          SIPTAG_SERVER_STR(cfg.user_agent.c_str()), TAG_END());
      nta_incoming_destroy(irq);
      return 0;
    }
    if (sip->sip_to->a_tag) return 481;
    nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED, SIPTAG_ALLOW_STR("OPTIONS, REGISTER"),
                        TAG_END());
    nta_incoming_destroy(irq);
    return 0;
  }

  if (!sip->sip_to->a_tag && !digest.check(irq, sip, false)) {
    nta_incoming_destroy(irq);
    return 0;
  }
  // The presence agent: every PUBLISH, and SUBSCRIBEs to the presence of
  // AORs registered here (presence_agent.hpp).
  if (!sip->sip_to->a_tag && !next_route &&
      (method == sip_method_publish || (method == sip_method_subscribe &&
                                        presence->serves(sip, normalize_aor(url_str(home, ruri)),
                                                         url_has_param(ruri, local_only_param))))) {
    if (method == sip_method_publish) {
      presence->handle_publish(irq, sip);
    } else {
      presence->handle_subscribe(irq, sip);
    }
    return 0;
  }
  if (sip->sip_to->a_tag) dialogs.note_request(sip);
  return proxy->forward(irq, sip, pop_route, next_route);
}

app_binding_answer sip_front::impl::bind_app(const std::string& aor, const std::string& token,
                                             std::chrono::seconds expires) {
  register_request req;
  req.aor = normalize_aor(aor);
  req.call_id = "app-" + token;
  req.cseq = ++app_cseq;
  contact_update c;
  c.uri = app_contact(where, token);
  c.expires = expires;
  req.contacts.push_back(c);
  const register_outcome o = reg.apply_local(req);
  app_binding_answer a{o.status, o.phrase, c.uri, std::chrono::seconds{0}};
  for (const auto& b : o.current)
    if (b.uri == c.uri) a.expires = b.remaining(sip_clock::now());
  if (o.status == 423)
    a.phrase += ": expires below the minimum of " + std::to_string(o.min_expires.count()) + " s";
  return a;
}

// The daemon behind a dialog's far side is gone: its party will never send
// the BYE, so this front sends it to the local party in its place.
void sip_front::impl::on_node_unreachable(const wire::node_id& node) {
  if (!messages) return;
  for (const auto& dialog : dialogs.end_through(node)) {
    messages->end_dialog(dialog, "the far side's daemon is unreachable");
    sdp->dialog_ended(dialog.call_id, false);
  }
}

// ====================================================================== public
sip_front::sip_front(sip_front_config config, overlay_directory& directory, node_channel& channel,
                     executor overlay_executor, sip_events events,
                     std::shared_ptr<sdp_rewriter> sdp)
    : impl_(std::make_unique<impl>(
          std::move(config), directory, channel, std::move(overlay_executor), std::move(events),
          sdp ? std::move(sdp) : std::make_shared<identity_sdp_rewriter>())) {
  std::promise<void> started;
  auto ready = started.get_future();
  // The promise moves into the thread: nothing here is touched after get().
  impl_->thread = std::thread([i = impl_.get(), p = std::move(started)]() mutable { i->run(p); });
  try {
    ready.get();
  } catch (...) {
    impl_->thread.join();
    throw;
  }
}

sip_front::~sip_front() { stop(); }

void sip_front::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl* i = impl_.get();
  impl_->bridge.box().post([i] { su_root_break(i->root); });
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->bridge.box().close();
}

const listen_endpoints& sip_front::endpoints() const { return impl_->where.eps; }

std::vector<registration_info> sip_front::final_registrations() const {
  if (!impl_->stopped || impl_->thread.joinable()) return {};
  return impl_->reg.bindings().snapshot(sip_clock::now());
}

std::optional<saved_presence> sip_front::final_presence_state() const {
  if (!impl_->stopped || impl_->thread.joinable()) return std::nullopt;
  return impl_->final_presence;
}

void sip_front::restore(std::vector<registration_info> saved) {
  impl* i = impl_.get();
  i->bridge.box().post([i, saved = std::move(saved)] { i->reg.restore(saved); });
}

void sip_front::registrations(std::function<void(std::vector<registration_info>)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, done = std::move(done)] {
    auto snap = i->reg.bindings().snapshot(sip_clock::now());
    i->bridge.to_overlay([done, snap] { done(snap); });
  });
}

void sip_front::dialogs(std::function<void(std::vector<dialog_info>)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, done = std::move(done)] {
    auto out = i->dialogs.snapshot();
    i->bridge.to_overlay([done, out] { done(out); });
  });
}

void sip_front::end_call(const std::string& call_id, const std::string& why) {
  impl* i = impl_.get();
  i->bridge.box().post([i, call_id, why] {
    if (!i->messages) return;
    if (auto dialog = i->dialogs.end_call(call_id)) i->messages->end_dialog(*dialog, why);
    i->sdp->dialog_ended(call_id, false);
  });
}

void sip_front::probe(std::function<void()> answered) {
  impl* i = impl_.get();
  i->bridge.box().post([i, answered = std::move(answered)] { i->bridge.to_overlay(answered); });
}

void sip_front::lookup(const std::string& aor, std::function<void(lookup_answer)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, aor = normalize_aor(aor), done = std::move(done)] {
    lookup_answer a;
    a.local = i->reg.bindings().lookup(aor, sip_clock::now());
    if (!a.local.empty() || aor.empty()) {
      if (aor.empty()) a.overlay = {400, "Bad AOR", {}, {}};
      i->bridge.to_overlay([done, a] { done(a); });
      return;
    }
    overlay_directory* d = &i->directory;
    const wire::node_id self = i->cfg.self;
    i->bridge.to_overlay([d, aor, self, done] {
      d->lookup(aor, [self, done](const lookup_result& r) {
        lookup_answer ans;
        ans.overlay = decide_from_lookup(r, self);
        done(ans);
      });
    });
  });
}

void sip_front::presence(const std::string& aor, std::function<void(presence_view)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, aor = normalize_aor(aor), done = std::move(done)] {
    auto v = i->presence->view(aor);
    i->bridge.to_overlay([done, v] { done(v); });
  });
}

void sip_front::follow_presence(const presence_view& known, std::function<void(bool)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, known, done = std::move(done)] {
    const bool followed = i->presence->follow(normalize_aor(known.aor), known);
    i->bridge.to_overlay([done, followed] { done(followed); });
  });
}

void sip_front::unfollow_presence(const std::string& aor) {
  impl* i = impl_.get();
  i->bridge.box().post([i, aor = normalize_aor(aor)] { i->presence->unfollow(aor); });
}

void sip_front::restore_presence_state(saved_presence saved) {
  impl* i = impl_.get();
  i->bridge.box().post([i, saved = std::move(saved)] { i->presence->restore(saved); });
}

void sip_front::fetch_presence(const std::string& aor, std::function<void(remote_presence)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, aor = normalize_aor(aor), done = std::move(done)]() mutable {
    i->presence->fetch(aor, std::move(done));
  });
}

void sip_front::bind_app(const std::string& aor, const std::string& token,
                         std::chrono::seconds expires,
                         std::function<void(app_binding_answer)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, aor, token, expires, done = std::move(done)] {
    auto answer = i->bind_app(aor, token, expires);
    i->bridge.to_overlay([done, answer] { done(answer); });
  });
}

void sip_front::call(const std::string& from, const std::string& to,
                     std::function<void(call_answer)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, from, to, done = std::move(done)]() mutable {
    const std::string caller = normalize_aor(from);
    call_answer refused;
    if (caller.empty() || normalize_aor(to).empty()) {
      refused.result = call_answer::outcome::bad_address;
    } else if (i->reg.bindings().lookup(caller, sip_clock::now()).empty()) {
      refused.result = call_answer::outcome::not_local;
    } else {
      return i->calls->start(from, to, std::move(done));
    }
    i->bridge.to_overlay([done, refused] { done(refused); });
  });
}

void sip_front::hangup(const std::string& id, std::function<void(hangup_answer)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, id, done = std::move(done)] {
    const hangup_answer answer = i->calls->hangup(id);
    i->bridge.to_overlay([done, answer] { done(answer); });
  });
}

void sip_front::deliver_stored(const offline_message& m, std::function<void(message_result)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, m, done = std::move(done)]() mutable {
    i->messages->send(m.from, m.to, m.body, m.content_type, std::move(done), true);
  });
}

void sip_front::send_message(const std::string& from, const std::string& to,
                             const std::string& body, const std::string& content_type,
                             std::function<void(message_result)> done) {
  impl* i = impl_.get();
  i->bridge.box().post([i, from, to, body, content_type, done = std::move(done)]() mutable {
    i->messages->send(from, to, body, content_type, std::move(done));
  });
}

}  // namespace p2psip::sip
