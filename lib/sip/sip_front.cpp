// The sofia-sip side of the SIP front. Everything in `impl` except the
// mailbox runs on the sip thread; see sip_front.hpp for the threading model.
#include "sip/sip_front.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace p2psip::sip {
struct branch;
struct proxy_txn;
}  // namespace p2psip::sip

#define SU_ROOT_MAGIC_T p2psip::sip::sip_front::impl
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void
#define NTA_LEG_MAGIC_T p2psip::sip::sip_front::impl
#define NTA_OUTGOING_MAGIC_T p2psip::sip::branch
#define NTA_INCOMING_MAGIC_T p2psip::sip::proxy_txn
#define NTA_AGENT_MAGIC_T p2psip::sip::sip_front::impl

#include <sofia-sip/auth_module.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

namespace p2psip::sip {

namespace {

// A cross-thread task queue drained on the sip thread. The only state shared
// between threads in the front; guarded by its mutex.
class mailbox {
 public:
  using task = std::function<void()>;
  mailbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("sip: eventfd failed");
  }
  ~mailbox() { ::close(fd_); }
  int fd() const { return fd_; }
  bool post(task t) {
    {
      std::lock_guard lock(m_);
      if (closed_) return false;
      q_.push_back(std::move(t));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
    return true;
  }
  // Called on the sip thread.
  void drain() {
    std::uint64_t v;
    [[maybe_unused]] auto n = ::read(fd_, &v, sizeof v);
    std::deque<task> batch;
    {
      std::lock_guard lock(m_);
      batch.swap(q_);
    }
    for (auto& t : batch) t();
  }
  void close() {
    std::lock_guard lock(m_);
    closed_ = true;
    q_.clear();
  }

 private:
  int fd_;
  std::mutex m_;
  std::deque<task> q_;
  bool closed_ = false;
};

std::string to_string(const char* s) { return s ? std::string(s) : std::string(); }

std::string url_str(su_home_t* home, const url_t* u) {
  if (!u) return {};
  char* s = url_as_string(home, u);
  std::string out = to_string(s);
  su_free(home, s);
  return out;
}

std::string param_value(const url_t* u, const char* name) {
  if (!u || !u->url_params) return {};
  char buf[512];
  isize_t n = url_param(u->url_params, name, buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  return std::string(buf);
}

// A URI or Via port; 5060 when absent, 0 when not a port.
std::uint16_t port_of(const char* text) {
  if (!text || !*text) return 5060;
  char* end = nullptr;
  const unsigned long v = std::strtoul(text, &end, 10);
  return (*end != '\0' || v > 65535) ? 0 : static_cast<std::uint16_t>(v);
}

// 127.0.0.0/8, ::1 (bracketed or not) or "localhost".
bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  const std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']'
                               ? host.substr(1, host.size() - 2)
                               : host;
  in_addr v4{};
  if (::inet_pton(AF_INET, bare.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

constexpr const char* allowed_methods =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY, UPDATE, INFO, PRACK, REFER, "
    "REGISTER";

// Request-URI parameter marking a request already routed by another daemon.
constexpr const char* local_only_param = "p2p-local";

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

}  // namespace

// One downstream client transaction of a proxied request.
struct branch {
  proxy_txn* txn = nullptr;
  nta_outgoing_t* orq = nullptr;
  int status = 0;
  bool done = false;
  bool remote = false;
};

// One proxied request: the upstream server transaction and its branches.
struct proxy_txn {
  sip_front::impl* front = nullptr;
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
};

struct sip_front::impl {
  sip_front_config cfg;
  overlay_directory& directory;
  node_channel& channel;
  executor overlay;
  sip_events events;
  std::shared_ptr<sdp_rewriter> sdp;

  std::shared_ptr<mailbox> box = std::make_shared<mailbox>();
  std::thread thread;
  listen_endpoints eps;
  bool stopped = false;
  std::string start_error;  // why start_agent failed, when not a socket error

  // ---- sip thread only below ----
  su_home_t home[1] = {};
  su_root_t* root = nullptr;
  su_wait_t wait[1] = {};
  su_timer_t* tick = nullptr;
  nta_agent_t* agent = nullptr;
  nta_leg_t* leg = nullptr;
  auth_mod_t* auth = nullptr;
  nta_incoming_t* stray_irq = nullptr;
  nta_outgoing_t* stray_orq = nullptr;
  branch stray_branch;
  proxy_txn stray_txn;
  binding_table bindings;
  std::string self_hex;
  std::unordered_map<std::uint64_t, std::unique_ptr<proxy_txn>> txns;
  std::uint64_t next_id = 1;
  std::map<std::string, dialog_info> dialog_table;  // by Call-ID
  static constexpr std::size_t max_dialogs = 65536;
  // Daemon-originated MESSAGEs in flight.
  std::unordered_map<branch*,
                     std::pair<std::unique_ptr<branch>, std::function<void(message_result)>>>
      originated;

  impl(sip_front_config c, overlay_directory& d, node_channel& ch, executor ex, sip_events ev,
       std::shared_ptr<sdp_rewriter> s)
      : cfg(std::move(c)),
        directory(d),
        channel(ch),
        overlay(std::move(ex)),
        events(std::move(ev)),
        sdp(std::move(s)),
        bindings(cfg.limits, cfg.gr_token),
        self_hex(cfg.self.hex()) {}

  // ---------------------------------------------------------------- posting
  // Runs `f` on the overlay thread; nothing of ours may be captured by ref.
  void to_overlay(std::function<void()> f) { overlay(std::move(f)); }
  // Returns a callable that, from any thread, re-enters the sip thread.
  template <class T>
  std::function<void(T)> back_here(std::function<void(T)> f) {
    std::weak_ptr<mailbox> wb = box;
    return [wb, f = std::move(f)](T v) {
      if (auto b = wb.lock()) b->post([f, v = std::move(v)]() mutable { f(std::move(v)); });
    };
  }

  // A message kept by callbacks that may be dropped on the overlay thread:
  // its last release is posted back here, so that only the sip thread
  // touches sofia's reference count.
  std::shared_ptr<msg_t> owned_here(msg_t* m) {
    std::weak_ptr<mailbox> wb = box;
    return std::shared_ptr<msg_t>(m, [wb](msg_t* dying) {
      if (!dying) return;
      if (auto b = wb.lock(); b && b->post([dying] { msg_destroy(dying); })) return;
      msg_destroy(dying);  // the sip thread has ended
    });
  }

  // ---------------------------------------------------------------- lifecycle
  void run(std::promise<void>& started);
  bool start_agent();
  void shutdown_agent();

  // ---------------------------------------------------------------- helpers
  bool address_is_ours(const char* host, const char* port) const;
  bool route_is_ours(const url_t* u) const;
  std::string record_route() const;
  bool prepare_forward(msg_t* msg, sip_t* sip, const url_t* new_ruri, bool add_rr, bool remote);
  bool rewrite_sdp(msg_t* msg, sip_t* sip, const sdp_context& ctx);
  void reply(nta_incoming_t* irq, int status, const char* phrase,
             const std::string& reason = {}) const;

  // ---------------------------------------------------------------- requests
  int on_request(nta_incoming_t* irq, const sip_t* sip);
  void handle_register(nta_incoming_t* irq, const sip_t* sip);
  bool check_auth(nta_incoming_t* irq, const sip_t* sip, bool registrar);
  void forward_ack(nta_incoming_t* irq, const sip_t* sip);
  void send_via_node(std::shared_ptr<msg_t> msg, const wire::node_id& node);
  proxy_txn* new_txn(nta_incoming_t* irq, const sip_t* sip);
  bool is_gruu(const url_t* ruri) const;
  void route_request_uri(const url_t* ruri, std::function<void(const route_decision&)> done);
  void apply_decision(std::uint64_t id, const route_decision& d);
  void add_branch(proxy_txn* t, const std::string& target_uri, const stream_endpoint* via_node);
  void open_node_branch(proxy_txn* t, const wire::node_id& node);
  void finish_branch_wait(proxy_txn* t);
  void txn_reply(proxy_txn* t, int status, const char* phrase, const std::string& reason = {});
  void maybe_done(proxy_txn* t);
  void destroy_txn(proxy_txn* t);
  int on_cancel(proxy_txn* t, nta_incoming_t* irq, const sip_t* sip);
  int on_response(branch* b, nta_outgoing_t* orq, const sip_t* sip);
  void forward_response(proxy_txn* t, nta_outgoing_t* orq, bool remote);
  int on_stray_response(nta_outgoing_t* orq, const sip_t* sip);

  // ---------------------------------------------------------------- state
  void publish(const std::string& aor);
  void on_tick();
  void track_dialog(const sip_t* response, const sip_t* request, bool remote);
  void end_dialog(const std::string& call_id, bool only_early);
  void originate_message(const std::string& from, const std::string& to, const std::string& body,
                         const std::string& ctype, std::function<void(message_result)> done);
};

// ====================================================================== C glue
namespace {

int leg_cb(sip_front::impl* f, nta_leg_t*, nta_incoming_t* irq, const sip_t* sip) {
  return f->on_request(irq, sip);
}
int cancel_cb(proxy_txn* t, nta_incoming_t* irq, const sip_t* sip) {
  return t->front->on_cancel(t, irq, sip);
}
int response_cb(branch* b, nta_outgoing_t* orq, const sip_t* sip) {
  return b->txn->front->on_response(b, orq, sip);
}
int stray_cb(branch* b, nta_outgoing_t* orq, const sip_t* sip) {
  return b->txn->front->on_stray_response(orq, sip);
}
int mailbox_cb(sip_front::impl* f, su_wait_t*, void*) {
  f->box->drain();
  return 0;
}
void tick_cb(sip_front::impl* f, su_timer_t*, void*) { f->on_tick(); }
int agent_cb(sip_front::impl*, nta_agent_t*, msg_t* msg, sip_t*) {
  msg_destroy(msg);  // stray stateless messages: dropped
  return 0;
}

}  // namespace

// ====================================================================== lifecycle
void sip_front::impl::run(std::promise<void>& started) {
  su_init();
  su_home_init(home);
  root = su_root_create(this);
  if (!root || !start_agent()) {
    std::string why = start_error.empty() ? "sip: cannot listen on " + cfg.listen_host + ":" +
                                                std::to_string(cfg.listen_port) + ": " +
                                                std::system_category().message(errno)
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
  agent = nta_agent_create(
      root, URL_STRING_MAKE(url.c_str()), agent_cb, this, NTATAG_UA(0), NTATAG_SERVER_RPORT(1),
      NTATAG_MAXSIZE(cfg.max_message_size), NTATAG_CANCEL_487(0),
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
      eps.udp = e;
    } else if (v->v_protocol && strcasecmp(v->v_protocol, sip_transport_tcp) == 0) {
      eps.tcp = e;
    }
  }
  if (eps.udp.port == 0 || eps.tcp.port == 0) return false;
  leg = nta_leg_tcreate(agent, leg_cb, this, NTATAG_NO_DIALOG(1), TAG_END());
  if (!leg) return false;
  stray_txn.front = this;
  stray_branch.txn = &stray_txn;
  stray_irq = nta_incoming_default(agent);
  stray_orq = nta_outgoing_default(agent, stray_cb, &stray_branch);
  if (!stray_irq || !stray_orq) return false;

  const bool need_auth = cfg.auth == auth_mode::always ||
                         (cfg.auth == auth_mode::automatic && !is_loopback(cfg.listen_host));
  if (need_auth) {
    if (cfg.auth_db.empty()) {
      start_error = "digest authentication is on for " + cfg.listen_host +
                    " but no password file (auth_db) is given";
      return false;
    }
    auth = auth_mod_create(root, AUTHTAG_METHOD("Digest"), AUTHTAG_REALM(cfg.auth_realm.c_str()),
                           AUTHTAG_DB(cfg.auth_db.c_str()), AUTHTAG_QOP("auth"),
                           AUTHTAG_ALGORITHM("MD5"), TAG_END());
    if (!auth) return false;
  }

  su_wait_create(wait, box->fd(), SU_WAIT_IN);
  if (su_root_register(root, wait, mailbox_cb, nullptr, 0) < 0) return false;
  tick = su_timer_create(su_root_task(root), 1000);
  if (!tick || su_timer_set_for_ever(tick, tick_cb, nullptr) < 0) return false;
  return true;
}

void sip_front::impl::shutdown_agent() {
  if (tick) su_timer_destroy(tick), tick = nullptr;
  if (root) su_root_unregister(root, wait, mailbox_cb, nullptr);
  std::vector<proxy_txn*> all;
  for (auto& [id, t] : txns) all.push_back(t.get());
  for (auto* t : all) destroy_txn(t);
  for (auto& [b, entry] : originated)
    if (b->orq) nta_outgoing_destroy(b->orq);
  originated.clear();
  if (stray_orq) nta_outgoing_destroy(stray_orq), stray_orq = nullptr;
  if (stray_irq) nta_incoming_destroy(stray_irq), stray_irq = nullptr;
  if (leg) nta_leg_destroy(leg), leg = nullptr;
  if (auth) auth_mod_destroy(auth), auth = nullptr;
  if (agent) nta_agent_destroy(agent), agent = nullptr;
}

// ====================================================================== helpers
// Whether host:port (of a URI or a Via sent-by) is where this front listens:
// the configured host, any loopback name when that is loopback, or a host
// nta puts in its own Via headers.
bool sip_front::impl::address_is_ours(const char* host_text, const char* port_text) const {
  if (!host_text) return false;
  const std::string host = host_text;
  const std::uint16_t port = port_of(port_text);
  if (port != eps.udp.port && port != eps.tcp.port) return false;
  if (host == cfg.listen_host || (is_loopback(host) && is_loopback(cfg.listen_host)) ||
      ("[" + cfg.listen_host + "]") == host)
    return true;
  for (const sip_via_t* v = nta_agent_via(agent); v; v = v->v_next)
    if (v->v_host && strcasecmp(v->v_host, host_text) == 0) return true;
  return false;
}

bool sip_front::impl::route_is_ours(const url_t* u) const {
  if (!u) return false;
  std::string p2p = param_value(u, "p2p");
  if (!p2p.empty()) return strcasecmp(p2p.c_str(), self_hex.c_str()) == 0;
  return address_is_ours(u->url_host, u->url_port);
}

std::string sip_front::impl::record_route() const {
  const bool v6 = cfg.listen_host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + cfg.listen_host + "]" : cfg.listen_host;
  return "<sip:" + host + ":" + std::to_string(eps.udp.port) + ";lr;p2p=" + self_hex + ">";
}

void sip_front::impl::reply(nta_incoming_t* irq, int status, const char* phrase,
                            const std::string& reason) const {
  if (!reason.empty()) {
    std::string r = "SIP;cause=" + std::to_string(status) + ";text=\"" + reason + "\"";
    nta_incoming_treply(irq, status, phrase, SIPTAG_REASON_STR(r.c_str()),
                        SIPTAG_SERVER_STR(cfg.user_agent.c_str()), TAG_END());
  } else {
    nta_incoming_treply(irq, status, phrase, SIPTAG_SERVER_STR(cfg.user_agent.c_str()), TAG_END());
  }
}

// Rewrites a copy of a request for one branch (RFC 3261 §16.6 steps 2-5):
// Request-URI, Max-Forwards, Record-Route, and the SDP plug-in point. nta
// adds our Via when it sends.
bool sip_front::impl::prepare_forward(msg_t* msg, sip_t* sip, const url_t* new_ruri, bool add_rr,
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
    sip_record_route_t* rr = sip_record_route_make(mh, record_route().c_str());
    if (!rr || msg_header_insert(msg, (msg_pub_t*)sip, (msg_header_t*)rr) < 0) return false;
  }
  const std::string cid = sip->sip_call_id ? to_string(sip->sip_call_id->i_id) : "";
  return rewrite_sdp(msg, sip, {cid, sdp_direction::toward_callee, remote});
}

// The media plug-in point: an SDP body passes through the sdp_rewriter and
// is replaced (with its Content-Length) only when the rewriter changed it.
bool sip_front::impl::rewrite_sdp(msg_t* msg, sip_t* sip, const sdp_context& ctx) {
  if (!is_sdp(sip)) return true;
  std::string body(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  std::string out = sdp->rewrite(ctx, body);
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

// ====================================================================== requests
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
  // A known header that did not parse, or a Request-URI without a usable
  // host: 400 (an ACK cannot be answered and is dropped, §17.2.3).
  const bool bad_ruri = !ruri || (ruri->url_type != url_sip && ruri->url_type != url_sips) ||
                        !ruri->url_host || !*ruri->url_host ||
                        std::strchr(ruri->url_host, '@') != nullptr ||
                        normalize_aor(url_str(home, ruri)).empty();
  if (sip->sip_error || bad_ruri) {
    if (method != sip_method_ack)
      nta_incoming_treply(irq, 400, sip->sip_error ? "Bad Header" : "Bad Request-URI", TAG_END());
    nta_incoming_destroy(irq);
    return 0;
  }

  if (method == sip_method_ack) {
    forward_ack(irq, sip);
    nta_incoming_destroy(irq);  // an ACK has no server transaction to keep
    return 0;
  }
  if (method == sip_method_cancel) return 481;  // nta matched none of ours

  // Our own Route entry (we record-routed, or the UA uses us as outbound proxy).
  const sip_route_t* route = sip->sip_route;
  bool pop_route = route && route_is_ours(route->r_url);
  const sip_route_t* next_route = pop_route ? route->r_next : route;

  // For the daemon itself: no user part (OPTIONS keepalives and pings, or
  // anything addressed to our own host:port).
  const bool for_self_uri = (!ruri->url_user || !*ruri->url_user) && !next_route &&
                            (method == sip_method_options || route_is_ours(ruri));
  if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
    if (method == sip_method_options && (for_self_uri || route_is_ours(ruri))) {
      return 200;
    }
    if (method != sip_method_register) return 483;
  }

  if (method == sip_method_register && !next_route) {
    handle_register(irq, sip);
    nta_incoming_destroy(irq);  // answered; nta keeps absorbing retransmissions
    return 0;
  }

  if (for_self_uri ||
      (method == sip_method_options && route_is_ours(ruri) && !next_route &&
       bindings.lookup(normalize_aor(url_str(home, ruri)), sip_clock::now()).empty())) {
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

  if (!sip->sip_to->a_tag && !check_auth(irq, sip, false)) {
    nta_incoming_destroy(irq);
    return 0;
  }
  proxy_txn* t = new_txn(irq, sip);
  if (!t) return 500;
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
    }
    return 0;
  }
  // In dialog, the remote target is a contact, or a GRUU (RFC 5627), which
  // is resolved like an AOR.
  if (sip->sip_to->a_tag && !is_gruu(ruri)) {
    add_branch(t, url_str(home, ruri), nullptr);
    return 0;
  }
  const std::uint64_t id = t->id;
  route_request_uri(ruri, [this, id](const route_decision& d) { apply_decision(id, d); });
  return 0;
}

bool sip_front::impl::is_gruu(const url_t* ruri) const { return !param_value(ruri, "gr").empty(); }

void sip_front::impl::route_request_uri(const url_t* ruri,
                                        std::function<void(const route_decision&)> done) {
  const std::string aor = normalize_aor(url_str(home, ruri));
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
    request_router(bindings, none, cfg.self).route(aor, gr, sip_clock::now(), std::move(done));
    return;
  }
  // Local answers come back synchronously; the overlay path goes through a
  // posting adapter, so the directory runs on the overlay thread.
  struct posting_directory final : overlay_directory {
    impl* f;
    explicit posting_directory(impl* self) : f(self) {}
    void publish(const binding_set&) override {}
    void withdraw(const std::string&) override {}
    void lookup(const std::string& key, std::function<void(lookup_result)> answer) override {
      auto back = f->back_here<lookup_result>(std::move(answer));
      overlay_directory* d = &f->directory;
      f->to_overlay([d, key, back] { d->lookup(key, back); });
    }
  } posting(this);
  request_router(bindings, posting, cfg.self).route(aor, gr, sip_clock::now(), std::move(done));
}

proxy_txn* sip_front::impl::new_txn(nta_incoming_t* irq, const sip_t* sip) {
  auto t = std::make_unique<proxy_txn>();
  t->front = this;
  t->id = next_id++;
  t->irq = irq;
  t->method = sip->sip_request->rq_method;
  t->call_id = to_string(sip->sip_call_id->i_id);
  msg_t* orig = nta_incoming_getrequest(irq);
  t->request = orig ? msg_dup(orig) : nullptr;  // our private, editable copy
  if (orig) msg_destroy(orig);
  if (!t->request) return nullptr;
  nta_incoming_bind(irq, cancel_cb, t.get());
  proxy_txn* raw = t.get();
  txns.emplace(raw->id, std::move(t));
  return raw;
}

void sip_front::impl::apply_decision(std::uint64_t id, const route_decision& d) {
  auto it = txns.find(id);
  if (it == txns.end()) return;  // gone (cancelled, front stopping)
  proxy_txn* t = it->second.get();
  if (t->cancelled || t->final_sent) {
    maybe_done(t);
    return;
  }
  if (d.status != 0) {
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

void sip_front::impl::open_node_branch(proxy_txn* t, const wire::node_id& node) {
  ++t->pending_opens;
  const std::uint64_t id = t->id;
  auto back =
      back_here<std::optional<stream_endpoint>>([this, id](std::optional<stream_endpoint> ep) {
        auto it = txns.find(id);
        if (it == txns.end()) return;
        proxy_txn* tt = it->second.get();
        --tt->pending_opens;
        if (ep && !tt->cancelled && !tt->final_sent) add_branch(tt, {}, &*ep);
        finish_branch_wait(tt);
      });
  node_channel* ch = &channel;
  to_overlay([ch, node, back] { ch->open(node, back); });
}

// Called when no more branches can appear: answer when none was created.
void sip_front::impl::finish_branch_wait(proxy_txn* t) {
  if (t->pending_opens > 0) return;
  if (t->branches.empty() && !t->final_sent) {
    if (t->cancelled) {
      txn_reply(t, SIP_487_REQUEST_TERMINATED);
    } else {
      txn_reply(t, 480, "Temporarily Unavailable", "no reachable destination");
    }
    return;
  }
  maybe_done(t);
}

void sip_front::impl::add_branch(proxy_txn* t, const std::string& target_uri,
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
  if (!prepare_forward(msg, sip, ruri, add_rr, via_node != nullptr)) {
    msg_destroy(msg);
    return;
  }
  std::string route_url;
  if (via_node) {
    route_url = node_stream_url(*via_node);
    (void)mark_local_only(msg, sip);  // best effort: unmarked still routes
  }
  t->branches.emplace_back();
  branch* b = &t->branches.back();
  b->txn = t;
  b->remote = via_node != nullptr;
  b->orq = nta_outgoing_mcreate(agent, response_cb, b,
                                route_url.empty() ? nullptr : URL_STRING_MAKE(route_url.c_str()),
                                msg, TAG_END());
  if (!b->orq) {
    t->branches.pop_back();
    return;
  }
}

void sip_front::impl::txn_reply(proxy_txn* t, int status, const char* phrase,
                                const std::string& reason) {
  if (!t->final_sent && t->irq) {
    reply(t->irq, status, phrase, reason);
    t->final_sent = true;
  }
  maybe_done(t);
}

void sip_front::impl::maybe_done(proxy_txn* t) {
  if (t->pending_opens > 0) return;
  const bool branches_done =
      std::all_of(t->branches.begin(), t->branches.end(), [](const branch& b) { return b.done; });
  if (!branches_done) return;
  if (!t->final_sent) {
    if (t->best && t->irq) {
      msg_t* best = t->best;
      t->best = nullptr;
      if (nta_incoming_mreply(t->irq, best) < 0)
        nta_incoming_treply(t->irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
      t->final_sent = true;
    } else if (t->irq) {
      reply(t->irq, t->cancelled ? 487 : 480,
            t->cancelled ? "Request Terminated" : "Temporarily Unavailable");
      t->final_sent = true;
    } else {
      return;
    }
  }
  destroy_txn(t);
}

void sip_front::impl::destroy_txn(proxy_txn* t) {
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
  txns.erase(t->id);
}

int sip_front::impl::on_cancel(proxy_txn* t, nta_incoming_t*, const sip_t* sip) {
  if (!sip) {
    // nta is done with the server transaction (timeout or termination).
    t->irq = nullptr;
    t->final_sent = true;
    for (auto& b : t->branches)
      if (b.orq && !b.done) nta_outgoing_tcancel(b.orq, nullptr, nullptr, TAG_END());
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

void sip_front::impl::forward_response(proxy_txn* t, nta_outgoing_t* orq, bool remote) {
  msg_t* resp = nta_outgoing_getresponse(orq);
  if (!resp) return;
  sip_t* rs = sip_object(resp);
  sip_via_remove(resp, rs);
  if (!rewrite_sdp(resp, rs, {t->call_id, sdp_direction::toward_caller, remote})) {
    msg_destroy(resp);
    return;
  }
  if (t->irq) {
    nta_incoming_mreply(t->irq, resp);
  } else {
    msg_destroy(resp);
  }
}

int sip_front::impl::on_response(branch* b, nta_outgoing_t* orq, const sip_t* sip) {
  proxy_txn* t = b->txn;
  const int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
  if (status < 200) {
    if (status > 100 && !t->final_sent && sip) {
      if (t->method == sip_method_invite) track_dialog(sip, sip_object(t->request), b->remote);
      forward_response(t, orq, b->remote);
    }
    return 0;
  }
  if (t->method == sip_method_bye) end_dialog(t->call_id, false);  // any final answer
  if (status < 300) {
    // Every 2xx is forwarded (§16.7 step 5), even after the first.
    if (sip) forward_response(t, orq, b->remote);
    if (t->method == sip_method_invite && sip) track_dialog(sip, sip_object(t->request), b->remote);
    t->final_sent = true;
    if (!b->done) {
      b->done = true;
      b->status = status;
      for (auto& other : t->branches) {
        if (&other != b && other.orq && !other.done)
          nta_outgoing_tcancel(other.orq, nullptr, nullptr, TAG_END());
      }
    }
    maybe_done(t);
    return 0;
  }
  if (b->done) return 0;
  b->done = true;
  b->status = status;
  if (t->method == sip_method_invite) end_dialog(t->call_id, true);
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
    if (status >= 600) {
      for (auto& other : t->branches)
        if (other.orq && !other.done) nta_outgoing_tcancel(other.orq, nullptr, nullptr, TAG_END());
    }
  }
  maybe_done(t);
  return 0;
}

int sip_front::impl::on_stray_response(nta_outgoing_t* orq, const sip_t* sip) {
  // A response no transaction matches (e.g. a 2xx retransmission after the
  // client transaction ended): forward statelessly along Via (§16.7 / §16.11)
  // when the top Via is ours; anything else is discarded (§16.11, §18.1.2),
  // so that a forged response cannot be reflected to the next Via's host.
  if (!sip || !sip->sip_via || !sip->sip_via->v_next ||
      !address_is_ours(sip->sip_via->v_host, sip->sip_via->v_port))
    return 0;
  // A final failure to an INVITE whose client transaction is gone (e.g. the
  // 487 after a CANCEL relayed between daemons) still ends its early dialog.
  if (sip->sip_status && sip->sip_status->st_status >= 300 && sip->sip_cseq &&
      sip->sip_cseq->cs_method == sip_method_invite && sip->sip_call_id) {
    end_dialog(to_string(sip->sip_call_id->i_id), true);
  }
  msg_t* resp = nta_outgoing_getresponse(orq);
  if (!resp) return 0;
  sip_via_remove(resp, sip_object(resp));
  nta_incoming_mreply(stray_irq, resp);
  return 0;
}

void sip_front::impl::forward_ack(nta_incoming_t* irq, const sip_t*) {
  // ACK for a 2xx is end-to-end: forward statelessly along Route, or to the
  // Request-URI, resolved first when it is a GRUU (RFC 5627).
  msg_t* orig = nta_incoming_getrequest(irq);
  std::shared_ptr<msg_t> msg = owned_here(orig ? msg_dup(orig) : nullptr);
  if (orig) msg_destroy(orig);
  if (!msg) return;
  sip_t* s = sip_object(msg.get());
  if (s->sip_max_forwards && s->sip_max_forwards->mf_count == 0) return;
  if (s->sip_route && route_is_ours(s->sip_route->r_url)) sip_route_remove(msg.get(), s);
  const std::string p2p = s->sip_route ? param_value(s->sip_route->r_url, "p2p") : std::string();
  if (!p2p.empty()) {
    auto node = wire::node_id::from_hex(p2p);
    if (node && prepare_forward(msg.get(), s, nullptr, false, true)) send_via_node(msg, *node);
    return;
  }
  if (!s->sip_route && is_gruu(s->sip_request->rq_url)) {
    route_request_uri(s->sip_request->rq_url, [this, msg](const route_decision& d) {
      if (d.status != 0 || d.targets.empty() || !agent) return;  // nowhere: dropped
      sip_t* ms = sip_object(msg.get());
      const route_target& target = d.targets.front();  // a GRUU names one instance
      if (target.where == route_target::kind::remote_node) {
        if (mark_local_only(msg.get(), ms) && prepare_forward(msg.get(), ms, nullptr, false, true))
          send_via_node(msg, target.node);
        return;
      }
      url_t* contact = url_make(msg_home(msg.get()), target.uri.c_str());
      if (contact && prepare_forward(msg.get(), ms, contact, false, false))
        nta_outgoing_mcreate(agent, nullptr, nullptr, nullptr, msg_ref_create(msg.get()),
                             TAG_END());
    });
    return;
  }
  if (prepare_forward(msg.get(), s, nullptr, false, false))
    nta_outgoing_mcreate(agent, nullptr, nullptr, nullptr, msg_ref_create(msg.get()), TAG_END());
}

// Sends a stateless request (an ACK) to another daemon through the node
// channel; the message is kept until the channel answers.
void sip_front::impl::send_via_node(std::shared_ptr<msg_t> msg, const wire::node_id& node) {
  auto back =
      back_here<std::optional<stream_endpoint>>([this, msg](std::optional<stream_endpoint> ep) {
        if (!ep || !agent) return;
        nta_outgoing_mcreate(agent, nullptr, nullptr, URL_STRING_MAKE(node_stream_url(*ep).c_str()),
                             msg_ref_create(msg.get()), TAG_END());
      });
  node_channel* ch = &channel;
  to_overlay([ch, node, back] { ch->open(node, back); });
}

// ====================================================================== registrar
// Digest (RFC 2617 MD5, qop=auth) through sofia's auth_module. REGISTER is
// challenged with 401 and must authenticate as the AOR's user; other
// out-of-dialog requests from non-loopback sources get 407. Answers the
// request itself when it returns false.
bool sip_front::impl::check_auth(nta_incoming_t* irq, const sip_t* sip, bool registrar) {
  if (!auth) return true;
  static const auth_challenger_t www[1] = {
      {SIP_401_UNAUTHORIZED, sip_www_authenticate_class, sip_authentication_info_class}};
  static const auth_challenger_t proxy[1] = {{SIP_407_PROXY_AUTH_REQUIRED,
                                              sip_proxy_authenticate_class,
                                              sip_proxy_authentication_info_class}};
  msg_t* m = nta_incoming_getrequest(irq);
  su_addrinfo_t* source = m ? msg_addrinfo(m) : nullptr;
  bool local_source = false;
  if (source && source->ai_addr) {
    if (source->ai_family == AF_INET) {
      auto* a = reinterpret_cast<const sockaddr_in*>(source->ai_addr);
      local_source = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (source->ai_family == AF_INET6) {
      auto* a = reinterpret_cast<const sockaddr_in6*>(source->ai_addr);
      local_source = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
  }
  if (!registrar && local_source) {
    // Local softphones and the daemon's own node_channel splices.
    if (m) msg_destroy(m);
    return true;
  }
  auth_status_t* as = auth_status_new(home);
  if (!as) {
    if (m) msg_destroy(m);
    reply(irq, SIP_500_INTERNAL_SERVER_ERROR);
    return false;
  }
  as->as_method = sip->sip_request->rq_method_name;
  as->as_source = source;
  as->as_user_uri = sip->sip_from->a_url;
  as->as_display = sip->sip_from->a_display;
  if (sip->sip_payload) {
    as->as_body = sip->sip_payload->pl_data;
    as->as_bodylen = static_cast<isize_t>(sip->sip_payload->pl_len);
  }
  auth_mod_check_client(auth, as, registrar ? sip->sip_authorization : sip->sip_proxy_authorization,
                        registrar ? www : proxy);
  bool ok = as->as_status == 0;
  if (!ok) {
    nta_incoming_treply(irq, as->as_status, as->as_phrase,
                        SIPTAG_HEADER(reinterpret_cast<sip_header_t const*>(as->as_info)),
                        SIPTAG_HEADER(reinterpret_cast<sip_header_t const*>(as->as_response)),
                        TAG_END());
  } else if (registrar) {
    // The credentials must belong to the AOR being registered.
    const char* user = sip->sip_to->a_url->url_user;
    if (!as->as_user || !user || std::strcmp(as->as_user, user) != 0) {
      nta_incoming_treply(irq, 403, "Credentials Do Not Match AOR", TAG_END());
      ok = false;
    }
  }
  if (m) msg_destroy(m);
  auth_status_unref(as);
  return ok;
}

// Answers the REGISTER itself; the caller destroys the transaction handle.
void sip_front::impl::handle_register(nta_incoming_t* irq, const sip_t* sip) {
  const std::string aor = normalize_aor(url_str(home, sip->sip_to->a_url));
  if (aor.empty() || aor.find('@') == std::string::npos) {
    nta_incoming_treply(irq, 400, "Bad To URI", TAG_END());
    return;
  }
  if (!check_auth(irq, sip, true)) return;
  if (cfg.may_register && !cfg.may_register(aor)) {
    nta_incoming_treply(irq, SIP_403_FORBIDDEN, TAG_END());
    return;
  }
  register_request req;
  req.aor = aor;
  req.call_id = to_string(sip->sip_call_id->i_id);
  req.cseq = sip->sip_cseq->cs_seq;
  if (sip->sip_expires) req.expires_header = std::chrono::seconds(sip->sip_expires->ex_delta);
  for (const sip_contact_t* m = sip->sip_contact; m; m = m->m_next) {
    if (m->m_url->url_type == url_any) {
      req.wildcard = true;
      continue;
    }
    contact_update c;
    url_t u = *m->m_url;
    u.url_headers = nullptr;
    c.uri = url_str(home, &u);
    for (const msg_param_t* p = m->m_params; p && *p; ++p) {
      std::string param = *p;
      const auto eq = param.find('=');
      std::string name = param.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : param.substr(eq + 1);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (name == "expires") {
        c.expires = std::chrono::seconds(std::strtoul(value.c_str(), nullptr, 10));
      } else if (name == "q") {
        const double q = std::strtod(value.c_str(), nullptr);  // 0 on junk
        c.q_milli = static_cast<std::uint16_t>(std::lround(std::clamp(q, 0.0, 1.0) * 1000));
      } else if (name == "+sip.instance") {
        if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
        if (!value.empty() && value.front() == '<') value = value.substr(1, value.size() - 2);
        c.instance = value;
      } else if (name == "reg-id") {
        c.reg_id = static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
      } else {
        if (!c.feature_params.empty()) c.feature_params += ";";
        c.feature_params += param;
      }
    }
    req.contacts.push_back(std::move(c));
  }
  if (req.wildcard && (!req.contacts.empty() || !sip->sip_contact || sip->sip_contact->m_next)) {
    nta_incoming_treply(irq, 400, "Invalid wildcard Contact", TAG_END());
    return;
  }
  const bool query = !req.wildcard && req.contacts.empty();
  register_outcome o =
      query ? register_outcome{200, "OK", {}, bindings.lookup(aor, sip_clock::now()), false}
            : bindings.apply(req, sip_clock::now());
  if (o.status == 423) {
    const std::string me = std::to_string(o.min_expires.count());
    nta_incoming_treply(irq, 423, "Interval Too Brief", SIPTAG_MIN_EXPIRES_STR(me.c_str()),
                        TAG_END());
    return;
  }
  if (o.status != 200) {
    nta_incoming_treply(irq, o.status, o.phrase.c_str(), TAG_END());
    return;
  }
  if (!query) {
    // The overlay hears of the change before the softphone sees its 200.
    publish(aor);
    if (o.changed && events.on_registration) {
      registration_info info{aor, o.current};
      auto cb = events.on_registration;
      to_overlay([cb, info] { cb(info); });
    }
  }
  const bool gruu_ok = sip->sip_supported && sip_has_feature(sip->sip_supported, "gruu");
  const auto now = sip_clock::now();
  msg_t* resp = nta_incoming_create_response(irq, 200, "OK");
  if (!resp) {
    nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
    return;
  }
  sip_t* rs = sip_object(resp);
  su_home_t* rh = msg_home(resp);
  // The registrar is the UAS, so To gets a tag (RFC 3261 §8.2.6.2); unlike
  // treply, nta_incoming_create_response leaves that to us.
  if (rs->sip_to && !rs->sip_to->a_tag &&
      sip_to_tag(rh, rs->sip_to, nta_incoming_tag(irq, nullptr)) < 0) {
    msg_destroy(resp);
    nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
    return;
  }
  for (const auto& b : o.current) {
    std::string c = "<" + b.uri + ">;expires=" + std::to_string(b.remaining(now).count());
    if (b.q_milli != 1000) {
      char q[16];
      (void)std::snprintf(q, sizeof q, ";q=%u.%03u", b.q_milli / 1000U, b.q_milli % 1000U);
      c += q;
    }
    if (!b.instance.empty()) c += ";+sip.instance=\"<" + b.instance + ">\"";
    if (b.reg_id) c += ";reg-id=" + std::to_string(*b.reg_id);
    if (gruu_ok && !b.gruu.empty()) c += ";pub-gruu=\"" + b.gruu + "\"";
    sip_contact_t* h = sip_contact_make(rh, c.c_str());
    if (h) msg_header_insert(resp, (msg_pub_t*)rs, (msg_header_t*)h);
  }
  // Best effort: a reply without them is still a valid 200.
  if (gruu_ok) (void)sip_add_tl(resp, rs, SIPTAG_REQUIRE_STR("gruu"), TAG_END());
  (void)sip_add_tl(resp, rs, SIPTAG_DATE(sip_date_create(rh, sip_now())), TAG_END());
  nta_incoming_mreply(irq, resp);
}

void sip_front::impl::publish(const std::string& aor) {
  const auto now = sip_clock::now();
  auto live = bindings.lookup(aor, now);
  overlay_directory* d = &directory;
  if (live.empty()) {
    to_overlay([d, aor] { d->withdraw(aor); });
    return;
  }
  binding_set set;
  set.aor = aor;
  for (const auto& b : live)
    set.contacts.push_back({b.uri, b.instance, b.feature_params, b.remaining(now)});
  to_overlay([d, set] { d->publish(set); });
}

void sip_front::impl::on_tick() {
  for (const auto& aor : bindings.expire(sip_clock::now())) {
    publish(aor);
    if (events.on_registration) {
      registration_info info{aor, bindings.lookup(aor, sip_clock::now())};
      auto cb = events.on_registration;
      to_overlay([cb, info] { cb(info); });
    }
  }
}

// ====================================================================== dialogs
void sip_front::impl::track_dialog(const sip_t* response, const sip_t* request, bool remote) {
  if (!response->sip_to || !response->sip_to->a_tag || !request) return;
  const int status = response->sip_status->st_status;
  const std::string cid = to_string(response->sip_call_id ? response->sip_call_id->i_id : nullptr);
  if (!dialog_table.count(cid) && dialog_table.size() >= max_dialogs) {
    // Bounded: forget the oldest (a BYE that never passed through us).
    auto oldest = std::min_element(
        dialog_table.begin(), dialog_table.end(),
        [](const auto& a, const auto& b) { return a.second.started < b.second.started; });
    end_dialog(oldest->first, false);
  }
  auto [it, fresh] = dialog_table.try_emplace(cid);
  dialog_info& d = it->second;
  const bool was_confirmed = d.confirmed;
  if (fresh) {
    d.call_id = cid;
    d.from = url_str(home, request->sip_from->a_url);
    d.to = url_str(home, request->sip_to->a_url);
    d.from_tag = to_string(request->sip_from->a_tag);
    d.started = std::chrono::system_clock::now();
    d.remote = remote;
  }
  d.to_tag = to_string(response->sip_to->a_tag);
  if (status >= 200) d.confirmed = true;
  if ((fresh || d.confirmed != was_confirmed) && events.on_dialog) {
    auto cb = events.on_dialog;
    dialog_info copy = d;
    to_overlay([cb, copy] { cb(copy, false); });
  }
}

void sip_front::impl::end_dialog(const std::string& call_id, bool only_early) {
  auto it = dialog_table.find(call_id);
  if (it == dialog_table.end()) return;
  if (only_early && it->second.confirmed) return;  // a failed fork of an answered call
  dialog_info copy = it->second;
  dialog_table.erase(it);
  if (events.on_dialog) {
    auto cb = events.on_dialog;
    to_overlay([cb, copy] { cb(copy, true); });
  }
}

// ====================================================================== MESSAGE
int message_cb(branch* b, nta_outgoing_t*, const sip_t* sip);

void sip_front::impl::originate_message(const std::string& from, const std::string& to,
                                        const std::string& body, const std::string& ctype,
                                        std::function<void(message_result)> done) {
  auto fail = [&](int st, const char* ph) {
    auto d = done;
    to_overlay([d, st, ph] { d({st, ph}); });
  };
  msg_t* msg = nta_msg_create(agent, 0);
  if (!msg) return fail(500, "Server Internal Error");
  sip_t* sip = sip_object(msg);
  su_home_t* mh = msg_home(msg);
  url_t* ruri = url_make(mh, normalize_aor(to).c_str());
  sip_from_t* f = sip_from_make(mh, from.c_str());
  sip_to_t* t = sip_to_make(mh, to.c_str());
  if (!ruri || !f || !t || normalize_aor(to).empty()) {
    msg_destroy(msg);
    return fail(400, "Bad Address");
  }
  sip_from_tag(mh, f, nta_agent_newtag(mh, "tag=%s", agent));
  sip_request_t* rq =
      sip_request_create(mh, SIP_METHOD_MESSAGE, (url_string_t const*)ruri, nullptr);
  if (sip_add_tl(msg, sip, SIPTAG_REQUEST(rq), SIPTAG_FROM(f), SIPTAG_TO(t),
                 SIPTAG_CALL_ID(sip_call_id_create(mh, nullptr)),
                 SIPTAG_CSEQ(sip_cseq_create(mh, 1, SIP_METHOD_MESSAGE)),
                 SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_CONTENT_TYPE_STR(ctype.c_str()),
                 SIPTAG_PAYLOAD_STR(body.c_str()), SIPTAG_USER_AGENT_STR(cfg.user_agent.c_str()),
                 TAG_END()) < 0) {
    msg_destroy(msg);
    return fail(500, "Server Internal Error");
  }
  // Sent to ourselves, so that it is routed like any softphone's request.
  const std::string self_url = "sip:" + eps.udp.host + ":" + std::to_string(eps.udp.port);
  auto holder = std::make_unique<branch>();
  branch* b = holder.get();
  b->txn = &stray_txn;
  originated.emplace(b, std::make_pair(std::move(holder), std::move(done)));
  b->orq =
      nta_outgoing_mcreate(agent, message_cb, b, URL_STRING_MAKE(self_url.c_str()), msg, TAG_END());
  if (!b->orq) {
    auto d = std::move(originated[b].second);
    originated.erase(b);
    to_overlay([d] { d({500, "Server Internal Error"}); });
  }
}

int message_cb(branch* b, nta_outgoing_t*, const sip_t* sip) {
  auto* f = b->txn->front;
  const int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
  if (status < 200) return 0;
  auto it = f->originated.find(b);
  if (it == f->originated.end()) return 0;
  message_result r{
      status, sip && sip->sip_status ? to_string(sip->sip_status->st_phrase) : "Request Timeout"};
  auto done = std::move(it->second.second);
  if (b->orq) nta_outgoing_destroy(b->orq);
  f->originated.erase(it);
  f->to_overlay([done, r] { done(r); });
  return 0;
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
  impl_->box->post([i] { su_root_break(i->root); });
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->box->close();
}

const listen_endpoints& sip_front::endpoints() const { return impl_->eps; }

std::vector<registration_info> sip_front::final_registrations() const {
  if (!impl_->stopped || impl_->thread.joinable()) return {};
  return impl_->bindings.snapshot(sip_clock::now());
}

void sip_front::restore(std::vector<registration_info> saved) {
  impl* i = impl_.get();
  i->box->post([i, saved = std::move(saved)] {
    for (const auto& r : saved)
      if (i->bindings.restore(r.aor, r.contacts, sip_clock::now())) i->publish(r.aor);
  });
}

void sip_front::registrations(std::function<void(std::vector<registration_info>)> done) {
  impl* i = impl_.get();
  i->box->post([i, done = std::move(done)] {
    auto snap = i->bindings.snapshot(sip_clock::now());
    i->to_overlay([done, snap] { done(snap); });
  });
}

void sip_front::dialogs(std::function<void(std::vector<dialog_info>)> done) {
  impl* i = impl_.get();
  i->box->post([i, done = std::move(done)] {
    std::vector<dialog_info> out;
    for (const auto& [id, d] : i->dialog_table) out.push_back(d);
    i->to_overlay([done, out] { done(out); });
  });
}

void sip_front::lookup(const std::string& aor, std::function<void(lookup_answer)> done) {
  impl* i = impl_.get();
  i->box->post([i, aor = normalize_aor(aor), done = std::move(done)] {
    lookup_answer a;
    a.local = i->bindings.lookup(aor, sip_clock::now());
    if (!a.local.empty() || aor.empty()) {
      if (aor.empty()) a.overlay = {400, "Bad AOR", {}, {}};
      i->to_overlay([done, a] { done(a); });
      return;
    }
    overlay_directory* d = &i->directory;
    const wire::node_id self = i->cfg.self;
    i->to_overlay([d, aor, self, done] {
      d->lookup(aor, [self, done](const lookup_result& r) {
        lookup_answer ans;
        ans.overlay = decide_from_lookup(r, self);
        done(ans);
      });
    });
  });
}

void sip_front::send_message(const std::string& from, const std::string& to,
                             const std::string& body, const std::string& content_type,
                             std::function<void(message_result)> done) {
  impl* i = impl_.get();
  i->box->post([i, from, to, body, content_type, done = std::move(done)]() mutable {
    i->originate_message(from, to, body, content_type, std::move(done));
  });
}

}  // namespace p2psip::sip
