#include "nat/ice_agent.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <utility>

#include <glib.h>
#include <nice/agent.h>
#include <boost/asio/post.hpp>

#include "nat/nice_candidate.hpp"
#include "nat/pseudo_tcp_session.hpp"
#include "runtime/logger.hpp"

namespace p2psip::nat {

const char* to_string(ice_failure failure) noexcept {
  switch (failure) {
    case ice_failure::gathering_failed: return "gathering failed";
    case ice_failure::no_usable_remote: return "no usable remote candidate";
    case ice_failure::checks_failed: return "connectivity checks failed";
    case ice_failure::timed_out: return "timed out";
  }
  return "?";
}

std::string describe(const ice_selected_pair& pair) {
  return std::string(to_string(pair.local.type)) + " " + pair.local.address.address().to_string() +
         " - " + to_string(pair.remote.type) + " " + pair.remote.address.address().to_string();
}

namespace {

struct g_free_deleter {
  void operator()(gchar* text) const noexcept { g_free(text); }
};
using g_string_ptr = std::unique_ptr<gchar, g_free_deleter>;

NiceRelayType nice_relay_type(turn_transport transport) {
  switch (transport) {
    case turn_transport::udp: return NICE_RELAY_TYPE_TURN_UDP;
    case turn_transport::tcp: return NICE_RELAY_TYPE_TURN_TCP;
  }
  return NICE_RELAY_TYPE_TURN_UDP;
}

// Segments kept for a PseudoTCP session not open yet (the peer's side of
// the pair was selected first).
constexpr std::size_t max_early_segments = 64;

void free_candidate(gpointer candidate) {
  nice_candidate_free(static_cast<NiceCandidate*>(candidate));
}

}  // namespace

// Every report from the loop threads to one executor, in one FIFO: a
// datagram is copied into a shared byte buffer and a batch costs one post,
// where a post per datagram (a heap copy and a handler each) was most of
// the receive cost at thousands of datagrams a second. The buffers are
// swapped, not freed, so they stop allocating once grown. Per agent the
// order is the loop thread's.
class ice_agent::inbox : public std::enable_shared_from_this<ice_agent::inbox> {
 public:
  using call = std::function<void(const ice_agent_handlers&)>;

  // The one inbox for `executor` on `loop`, made on first use.
  static std::shared_ptr<inbox> of(glib_loop_thread& loop,
                                   const boost::asio::any_io_executor& executor) {
    return std::static_pointer_cast<inbox>(
        loop.per_executor(executor, [&] { return std::make_shared<inbox>(executor); }));
  }

  explicit inbox(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Loop thread: a datagram for `to`'s handlers, or any other report.
  void push_datagram(std::shared_ptr<state> to, std::span<const std::uint8_t> datagram) {
    const std::lock_guard lock(mutex_);
    incoming_.entries.push_back({std::move(to), incoming_.bytes.size(), datagram.size(), {}});
    incoming_.bytes.insert(incoming_.bytes.end(), datagram.begin(), datagram.end());
    post_locked();
  }
  void push_call(std::shared_ptr<state> to, call report) {
    const std::lock_guard lock(mutex_);
    incoming_.entries.push_back({std::move(to), 0, 0, std::move(report)});
    post_locked();
  }

 private:
  struct entry {
    std::shared_ptr<state> to;
    std::size_t offset;  // into batch::bytes, for a datagram
    std::size_t size;
    call report;  // empty for a datagram
  };
  struct batch {
    std::vector<entry> entries;
    std::vector<std::uint8_t> bytes;
  };

  void post_locked() {
    if (posted_) return;
    posted_ = true;
    boost::asio::post(executor_, [self = shared_from_this()] { self->drain(); });
  }
  void drain();

  const boost::asio::any_io_executor executor_;
  std::mutex mutex_;
  batch incoming_;       // loop threads, under mutex_
  batch draining_;       // executor thread
  bool posted_ = false;  // under mutex_: a drain is on its way
};

// Shared by the ice_agent handle (executor thread) and the work and signals
// on the loop thread; the members say which thread owns them.
class ice_agent::state : public std::enable_shared_from_this<state> {
 public:
  state(glib_loop_thread& loop, boost::asio::any_io_executor executor, ice_agent_config config,
        ice_agent_handlers handlers)
      : loop_(loop),
        executor_(std::move(executor)),
        inbox_(inbox::of(loop, executor_)),
        config_(std::move(config)),
        handlers_(std::move(handlers)) {
    hold_.emplace(loop);
  }

  glib_loop_thread& loop() { return loop_; }

  // Executor thread: false when already closed.
  bool begin_close() {
    if (handlers_closed_) return false;
    handlers_closed_ = true;
    return true;
  }
  bool handlers_closed() const { return handlers_closed_; }
  // Executor thread: a report the inbox hands over, unless closed by then.
  void report(const inbox::call& call) {
    if (!handlers_closed_) call(handlers_);
  }
  void report_datagram(std::span<const std::uint8_t> datagram) {
    if (!handlers_closed_ && handlers_.datagram) handlers_.datagram(datagram);
  }
  // Executor thread, datagram mode: straight to libnice, whose agent lock
  // makes nice_agent_send safe from any thread; a post per datagram cost a
  // GSource and a wake-up of the loop thread. Dropped before start() has
  // made the agent, as it would be without a selected pair.
  void send_now(std::span<const std::uint8_t> datagram) {
    NiceAgent* agent = live_agent_.load(std::memory_order_acquire);
    if (!agent) return;
    nice_agent_send(agent, stream_, nice_component_id, static_cast<guint>(datagram.size()),
                    reinterpret_cast<const gchar*>(datagram.data()));
  }
  bool reliable() const { return config_.reliable; }

  // Loop thread from here on.
  void start();
  void gather();
  void set_remote(const ice_description& remote);
  void send(std::vector<std::uint8_t> bytes);
  void close(std::function<void()> closed, std::chrono::milliseconds linger);

 private:
  // Runs `call` with the handlers on the executor unless closed by then.
  template <class Call>
  void deliver(Call call) {
    inbox_->push_call(shared_from_this(), std::move(call));
  }
  void report_failure(ice_failure why);
  void report_ready();
  void cancel_connect_limit();
  void cancel_gathering_limit();
  // The gathered report, once: at gathering-done or at the gathering limit.
  void report_gathered();
  // Reliable mode: hands PseudoTCP what it takes of the queue.
  void flush();

  // What a close in flight keeps alive until libnice reports it done.
  struct closing {
    std::shared_ptr<state> self;
    std::function<void()> closed;
  };

  static void on_gathering_done(NiceAgent* agent, guint stream, gpointer self);
  static void on_state_changed(NiceAgent* agent, guint stream, guint component, guint state,
                               gpointer self);
  static void on_receive(NiceAgent* agent, guint stream, guint component, guint size, gchar* data,
                         gpointer self);
  // Reliable mode: PseudoTCP on the pair just selected.
  void open_session();
  static gboolean on_linger_end(gpointer closing);
  void finish_close(std::function<void()> closed);
  static gboolean on_connect_limit(gpointer self);
  static gboolean on_gathering_limit(gpointer self);
  static void on_closed(GObject* agent, GAsyncResult* result, gpointer closing);

  glib_loop_thread& loop_;
  const boost::asio::any_io_executor executor_;
  const std::shared_ptr<inbox> inbox_;
  const ice_agent_config config_;
  const ice_agent_handlers handlers_;

  bool handlers_closed_ = false;  // executor thread

  // Loop thread.
  std::optional<glib_loop_thread::hold> hold_;
  NiceAgent* agent_ = nullptr;
  guint stream_ = 0;
  // agent_ for send_now, once start() has set it up (stream_ with it); the
  // executor stops sending before it posts close(), so it is never used
  // after the agent goes.
  std::atomic<NiceAgent*> live_agent_{nullptr};
  GSource* connect_limit_ = nullptr;
  GSource* gathering_limit_ = nullptr;
  bool gathered_ = false;
  bool shutting_down_ = false;
  // Reliable mode: the stream once a pair is selected, segments that came
  // before (the peer may conclude first), and bytes it has not taken yet.
  std::unique_ptr<pseudo_tcp_session> session_;
  std::deque<std::vector<std::uint8_t>> early_segments_;
  std::deque<std::vector<std::uint8_t>> unsent_;
  std::size_t unsent_offset_ = 0;  // into unsent_.front()
  enum class outcome { pending, ready, failed } outcome_ = outcome::pending;
};

void ice_agent::state::start() {
  // Aggressive nomination (RFC 5245 §8.1.1.2, which RFC 6940 builds on): the
  // first pair that works is used at once. Regular nomination waits for
  // every check to end, and a check towards an address behind a NAT takes
  // all its retransmissions (tens of seconds) to fail.
  // Reliable mode runs its own PseudoTCP (pseudo_tcp_session.hpp says why).
  // RFC 7675 consent freshness: a Binding check on the selected pair every
  // 4-6 s, and a pair whose far end answers none for libnice's consent
  // timeout (10 s, fixed) or answers 403 goes FAILED.
  agent_ = nice_agent_new_full(loop_.context(), NICE_COMPATIBILITY_RFC5245,
                               NICE_AGENT_OPTION_CONSENT_FRESHNESS);
  // UPnP would ask routers on the LAN for mappings; ICE-TCP is not RELOAD's.
  // Keepalives are checks rather than indications (consent implies it).
  g_object_set(agent_, "controlling-mode", config_.role == ice_role::controlling ? TRUE : FALSE,
               "upnp", FALSE, "ice-tcp", FALSE, "force-relay", config_.force_relay ? TRUE : FALSE,
               "keepalive-conncheck", TRUE, "stun-initial-timeout",
               static_cast<guint>(config_.check_timeout.count()), "stun-max-retransmissions",
               config_.check_retransmissions, "idle-timeout",
               static_cast<guint>(config_.failure_grace.count()), nullptr);
  if (!config_.stun_servers.empty()) {
    const auto& server = config_.stun_servers.front();
    g_object_set(agent_, "stun-server", server.address().to_string().c_str(), "stun-server-port",
                 static_cast<guint>(server.port()), nullptr);
  }
  for (const auto& address : config_.local_addresses) {
    NiceAddress local = to_nice_address(transport_address(address, 0));
    nice_agent_add_local_address(agent_, &local);
  }
  stream_ = nice_agent_add_stream(agent_, 1);
  for (const auto& relay : config_.relays) {
    nice_agent_set_relay_info(agent_, stream_, nice_component_id,
                              relay.server.address().to_string().c_str(), relay.server.port(),
                              relay.username.c_str(), relay.password.c_str(),
                              nice_relay_type(relay.transport));
  }
  g_signal_connect(agent_, "candidate-gathering-done", G_CALLBACK(on_gathering_done), this);
  g_signal_connect(agent_, "component-state-changed", G_CALLBACK(on_state_changed), this);
  nice_agent_attach_recv(agent_, stream_, nice_component_id, loop_.context(), on_receive, this);
  live_agent_.store(agent_, std::memory_order_release);
}

void ice_agent::state::gather() {
  if (shutting_down_) return;
  if (!nice_agent_gather_candidates(agent_, stream_)) {
    report_failure(ice_failure::gathering_failed);
    return;
  }
  if (gathered_ || gathering_limit_) return;  // done already (host candidates only)
  gathering_limit_ = g_timeout_source_new(static_cast<guint>(config_.gathering_limit.count()));
  g_source_set_callback(gathering_limit_, on_gathering_limit, this, nullptr);
  g_source_attach(gathering_limit_, loop_.context());
}

void ice_agent::state::set_remote(const ice_description& remote) {
  if (shutting_down_ || outcome_ != outcome::pending) return;
  nice_agent_set_remote_credentials(agent_, stream_, remote.credentials.ufrag.c_str(),
                                    remote.credentials.password.c_str());
  std::vector<nice_candidate_ptr> candidates;
  GSList* list = nullptr;
  for (const auto& candidate : remote.candidates) {
    candidates.push_back(to_nice(candidate, stream_));
    list = g_slist_append(list, candidates.back().get());
  }
  // libnice copies the candidates; the list holds borrowed pointers.
  const int added = nice_agent_set_remote_candidates(agent_, stream_, nice_component_id, list);
  g_slist_free(list);
  if (added <= 0) {
    report_failure(ice_failure::no_usable_remote);
    return;
  }
  if (connect_limit_) return;
  connect_limit_ = g_timeout_source_new(static_cast<guint>(config_.connect_limit.count()));
  g_source_set_callback(connect_limit_, on_connect_limit, this, nullptr);
  g_source_attach(connect_limit_, loop_.context());
}

void ice_agent::state::send(std::vector<std::uint8_t> bytes) {
  if (shutting_down_) return;
  unsent_.push_back(std::move(bytes));
  flush();
}

void ice_agent::state::flush() {
  std::size_t taken = 0;
  while (!unsent_.empty() && !shutting_down_ && session_) {
    const auto& front = unsent_.front();
    // Before PseudoTCP is connected, and whenever its window is full, it
    // takes nothing and says when by `writable`.
    const auto sent = session_->send(std::span<const std::uint8_t>(front).subspan(unsent_offset_));
    if (sent == 0) break;
    taken += sent;
    unsent_offset_ += sent;
    if (unsent_offset_ == front.size()) {
      unsent_.pop_front();
      unsent_offset_ = 0;
    }
  }
  if (taken == 0) return;
  deliver([taken](const ice_agent_handlers& handlers) {
    if (handlers.written) handlers.written(taken);
  });
}

void ice_agent::state::close(std::function<void()> closed, std::chrono::milliseconds linger) {
  if (linger.count() > 0 && config_.reliable && outcome_ == outcome::ready) {
    // The handlers are closed already; PseudoTCP keeps sending (and
    // retransmitting) what it took, a TLS close_notify say, until then.
    GSource* source = g_timeout_source_new(static_cast<guint>(linger.count()));
    g_source_set_callback(source, on_linger_end,
                          new closing{shared_from_this(), std::move(closed)}, nullptr);
    g_source_attach(source, loop_.context());
    g_source_unref(source);
    return;
  }
  finish_close(std::move(closed));
}

gboolean ice_agent::state::on_linger_end(gpointer data) {
  std::unique_ptr<closing> done(static_cast<closing*>(data));
  done->self->finish_close(std::move(done->closed));
  return G_SOURCE_REMOVE;
}

void ice_agent::state::finish_close(std::function<void()> closed) {
  shutting_down_ = true;
  cancel_connect_limit();
  cancel_gathering_limit();
  session_.reset();
  g_signal_handlers_disconnect_by_data(agent_, this);
  // The receive callback stays attached (it drops what comes now): detaching
  // it stops libnice reading the sockets, and the TURN servers' answers to
  // the deallocations with them, which then time out. The agent is freed
  // once they are answered.
  nice_agent_close_async(agent_, on_closed, new closing{shared_from_this(), std::move(closed)});
}

void ice_agent::state::on_closed(GObject*, GAsyncResult*, gpointer data) {
  std::unique_ptr<closing> done(static_cast<closing*>(data));
  auto& self = *done->self;
  g_object_unref(self.agent_);
  self.agent_ = nullptr;
  self.hold_.reset();
  // The last reference goes on the executor, so that the handlers (and what
  // they captured) are destroyed on the thread they belong to.
  boost::asio::post(self.executor_,
                    [last = std::move(done->self), closed = std::move(done->closed)] {
                      if (closed) closed();
                    });
}

void ice_agent::state::report_failure(ice_failure why) {
  if (outcome_ == outcome::failed) return;
  outcome_ = outcome::failed;
  cancel_connect_limit();
  cancel_gathering_limit();
  deliver([why](const ice_agent_handlers& handlers) {
    if (handlers.failed) handlers.failed(why);
  });
}

void ice_agent::state::report_ready() {
  NiceCandidate* local = nullptr;
  NiceCandidate* remote = nullptr;
  if (!nice_agent_get_selected_pair(agent_, stream_, nice_component_id, &local, &remote)) return;
  ice_selected_pair pair{from_nice(*local), from_nice(*remote), std::nullopt};
  if (local->type == NICE_CANDIDATE_TYPE_RELAYED) {
    NiceAddress server;
    nice_address_init(&server);
    nice_candidate_relay_address(local, &server);
    if (nice_address_is_valid(&server)) pair.relay_server = to_transport_address(server);
  }
  outcome_ = outcome::ready;
  cancel_connect_limit();
  deliver([pair = std::move(pair)](const ice_agent_handlers& handlers) {
    if (handlers.ready) handlers.ready(pair);
  });
  if (config_.reliable) open_session();
}

void ice_agent::state::open_session() {
  pseudo_tcp_callbacks c;
  c.write_packet = [this](std::span<const std::uint8_t> segment) {
    nice_agent_send(agent_, stream_, nice_component_id, static_cast<guint>(segment.size()),
                    reinterpret_cast<const gchar*>(segment.data()));
  };
  c.received = [this](std::span<const std::uint8_t> bytes) {
    inbox_->push_datagram(shared_from_this(), bytes);
  };
  c.writable = [this] { flush(); };
  c.failed = [this](const std::string& why) {
    runtime::logs.write(runtime::log_level::debug, "ICE stream: " + why);
    report_failure(ice_failure::checks_failed);
  };
  session_ = std::make_unique<pseudo_tcp_session>(loop_.context(), std::move(c));
  session_->connect();
  for (const auto& segment : std::exchange(early_segments_, {})) session_->packet(segment);
}

void ice_agent::state::cancel_gathering_limit() {
  if (!gathering_limit_) return;
  g_source_destroy(gathering_limit_);
  g_source_unref(gathering_limit_);
  gathering_limit_ = nullptr;
}

void ice_agent::state::cancel_connect_limit() {
  if (!connect_limit_) return;
  g_source_destroy(connect_limit_);
  g_source_unref(connect_limit_);
  connect_limit_ = nullptr;
}

void ice_agent::state::on_gathering_done(NiceAgent*, guint, gpointer data) {
  auto& self = *static_cast<state*>(data);
  if (!self.shutting_down_) self.report_gathered();
}

gboolean ice_agent::state::on_gathering_limit(gpointer data) {
  auto& self = *static_cast<state*>(data);
  // Dispatch holds its own reference; ours goes so cancel has nothing to do.
  g_source_unref(self.gathering_limit_);
  self.gathering_limit_ = nullptr;
  if (self.shutting_down_ || self.gathered_) return G_SOURCE_REMOVE;
  runtime::logs.write(runtime::log_level::debug,
                      "ICE gathering cut at " + std::to_string(self.config_.gathering_limit.count()) +
                          " ms: a STUN or TURN server has not answered");
  self.report_gathered();
  return G_SOURCE_REMOVE;
}

void ice_agent::state::report_gathered() {
  if (gathered_) return;
  gathered_ = true;
  cancel_gathering_limit();
  gchar* ufrag = nullptr;
  gchar* password = nullptr;
  nice_agent_get_local_credentials(agent_, stream_, &ufrag, &password);
  const g_string_ptr ufrag_owner(ufrag);
  const g_string_ptr password_owner(password);
  ice_description local{{ufrag ? ufrag : "", password ? password : ""}, {}};
  GSList* list = nice_agent_get_local_candidates(agent_, stream_, nice_component_id);
  for (GSList* item = list; item; item = item->next) {
    local.candidates.push_back(from_nice(*static_cast<const NiceCandidate*>(item->data)));
  }
  g_slist_free_full(list, free_candidate);
  if (local.candidates.empty()) {
    report_failure(ice_failure::gathering_failed);
    return;
  }
  deliver([local = std::move(local)](const ice_agent_handlers& handlers) {
    if (handlers.gathered) handlers.gathered(local);
  });
}

void ice_agent::state::on_state_changed(NiceAgent*, guint, guint, guint component_state,
                                        gpointer data) {
  auto& self = *static_cast<state*>(data);
  if (self.shutting_down_) return;
  // CONNECTED: a pair is selected and usable. READY only follows once every
  // other check has ended too, which towards an address behind a NAT takes
  // all its retransmissions; the link need not wait for that.
  const bool usable = component_state == NICE_COMPONENT_STATE_CONNECTED ||
                      component_state == NICE_COMPONENT_STATE_READY;
  if (usable && self.outcome_ == outcome::pending) {
    self.report_ready();
  } else if (component_state == NICE_COMPONENT_STATE_FAILED) {
    self.report_failure(ice_failure::checks_failed);
  }
}

void ice_agent::state::on_receive(NiceAgent*, guint, guint, guint size, gchar* data,
                                  gpointer self_data) {
  auto& self = *static_cast<state*>(self_data);
  if (self.shutting_down_) return;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
  if (self.config_.reliable) {
    if (self.session_) return self.session_->packet(std::span<const std::uint8_t>(bytes, size));
    // A window's worth at most: PseudoTCP retransmits what is dropped here.
    if (self.early_segments_.size() < max_early_segments) {
      self.early_segments_.emplace_back(bytes, bytes + size);
    }
    return;
  }
  self.inbox_->push_datagram(self.shared_from_this(), {bytes, size});
}

void ice_agent::inbox::drain() {
  {
    const std::lock_guard lock(mutex_);
    std::swap(incoming_, draining_);
    posted_ = false;
  }
  for (auto& e : draining_.entries) {
    if (e.report) {
      e.to->report(e.report);
    } else {
      e.to->report_datagram({draining_.bytes.data() + e.offset, e.size});
    }
  }
  // Cleared here, capacity kept: the states' last references may go on
  // this thread, where their handlers belong.
  draining_.entries.clear();
  draining_.bytes.clear();
}

gboolean ice_agent::state::on_connect_limit(gpointer data) {
  auto& self = *static_cast<state*>(data);
  // Dispatch holds its own reference; ours goes so cancel has nothing to do.
  g_source_unref(self.connect_limit_);
  self.connect_limit_ = nullptr;
  if (!self.shutting_down_ && self.outcome_ == outcome::pending) {
    self.report_failure(ice_failure::timed_out);
  }
  return G_SOURCE_REMOVE;
}

ice_agent::ice_agent(glib_loop_thread& loop, boost::asio::any_io_executor executor,
                     ice_agent_config config, ice_agent_handlers handlers)
    : state_(std::make_shared<state>(loop, std::move(executor), std::move(config),
                                     std::move(handlers))) {
  loop.post([state = state_] { state->start(); });
}

ice_agent::~ice_agent() { close(); }

void ice_agent::gather() {
  if (state_->handlers_closed()) return;
  state_->loop().post([state = state_] { state->gather(); });
}

void ice_agent::set_remote(const ice_description& remote) {
  if (state_->handlers_closed()) return;
  state_->loop().post([state = state_, remote] { state->set_remote(remote); });
}

void ice_agent::send(std::span<const std::uint8_t> datagram) {
  if (state_->handlers_closed()) return;
  if (!state_->reliable()) {
    state_->send_now(datagram);
    return;
  }
  state_->loop().post(
      [state = state_, bytes = std::vector<std::uint8_t>(datagram.begin(), datagram.end())]() mutable {
        state->send(std::move(bytes));
      });
}

void ice_agent::close(std::function<void()> closed, std::chrono::milliseconds linger) {
  if (!state_->begin_close()) return;
  state_->loop().post([state = state_, closed = std::move(closed), linger]() mutable {
    state->close(std::move(closed), linger);
  });
}

}  // namespace p2psip::nat
