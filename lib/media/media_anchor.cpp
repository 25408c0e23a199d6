#include "media/media_anchor.hpp"

#include <pthread.h>

#include <algorithm>
#include <future>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "runtime/logger.hpp"

namespace p2psip::media {

namespace asio = boost::asio;
using runtime::log_level;
using runtime::logs;

namespace {

constexpr auto sweep_period = std::chrono::seconds(1);

bool is_2xx(int status) { return status >= 200 && status < 300; }

// The far daemon's SDP: ICE, a key and RTCP muxed on a secure profile, on
// every m-line that carries media.
bool looks_like_far_daemon(const sdp_session& session) {
  bool any = false;
  for (const auto& m : session.media()) {
    if (!m.is_rtp || m.port == 0) continue;
    if (!m.ice || m.crypto.empty() || !m.rtcp_mux || m.protocol.rfind("RTP/SAVP", 0) != 0)
      return false;
    any = true;
  }
  return any;
}

bool is_public(const asio::ip::address& a) {
  if (a.is_loopback() || a.is_unspecified() || a.is_multicast()) return false;
  if (a.is_v4()) {
    const auto v = a.to_v4().to_uint();
    const auto in = [v](std::uint32_t net, unsigned prefix) {
      return (v >> (32 - prefix)) == (net >> (32 - prefix));
    };
    return !(in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16) || in(0x64400000, 10) ||
             in(0xa9fe0000, 16));
  }
  const auto v6 = a.to_v6();
  return !(v6.is_link_local() || (v6.to_bytes()[0] & 0xfe) == 0xfc);
}

bool same_servers(const nat::ice_agent_config& a, const nat::ice_agent_config& b) {
  const auto relay_key = [](const nat::turn_relay& r) {
    return std::tie(r.server, r.username, r.transport);
  };
  return a.local_addresses == b.local_addresses && a.stun_servers == b.stun_servers &&
         a.force_relay == b.force_relay &&
         std::equal(a.relays.begin(), a.relays.end(), b.relays.begin(), b.relays.end(),
                    [&](const nat::turn_relay& x, const nat::turn_relay& y) {
                      return relay_key(x) == relay_key(y);
                    });
}

// The default candidate (RFC 8839 §4.2.1.1) for c= and the m-line's port.
const nat::ice_candidate& default_candidate(const nat::ice_description& d) {
  return *std::max_element(d.candidates.begin(), d.candidates.end(),
                           [](const nat::ice_candidate& a, const nat::ice_candidate& b) {
                             return a.priority < b.priority;
                           });
}

std::string describe_pair(const nat::ice_selected_pair& pair) {
  std::string out = std::string(nat::to_string(pair.local.type)) + "/" +
                    nat::to_string(pair.remote.type) + " to " +
                    pair.remote.address.address().to_string() + ":" +
                    std::to_string(pair.remote.address.port());
  if (pair.relay_server) {
    out += " via relay " + pair.relay_server->address().to_string() + ":" +
           std::to_string(pair.relay_server->port());
  }
  return out;
}

}  // namespace

const char* to_string(anchor_mode mode) noexcept {
  switch (mode) {
    case anchor_mode::always: return "always";
    case anchor_mode::nat: return "nat";
    case anchor_mode::never: return "never";
  }
  return "?";
}

struct media_anchor::call {
  using clock = std::chrono::steady_clock;
  std::string id;
  nat::ice_role role = nat::ice_role::controlling;        // controlling: the local phone offered
  std::vector<std::unique_ptr<anchored_stream>> streams;  // by m-line; null: not anchored
  bool confirmed = false;
  bool started_announced = false;
  clock::time_point started = clock::now();
  clock::time_point confirmed_at{};
  // Rewrites waiting for an agent to finish gathering.
  std::vector<std::function<void()>> waiting;

  bool gathering() const {
    return std::any_of(streams.begin(), streams.end(),
                       [](const auto& s) { return s && s->ice().gathering(); });
  }
};

media_anchor::media_anchor(media_anchor_config config, nat::ice_agent_config ice, hooks h)
    : config_(std::move(config)),
      hooks_(std::move(h)),
      work_(io_.get_executor()),
      ice_(std::move(ice)),
      sweep_timer_(io_) {
  if (config_.port_min != 0 || config_.port_max != 0)
    ports_.emplace(config_.port_min, config_.port_max);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "media");
    io_.run();
  });
  asio::post(io_, [this] {
    fill_pool();
    schedule_sweep();
  });
}

media_anchor::~media_anchor() {
  asio::post(io_, [this] {
    stopping_ = true;
    sweep_timer_.cancel();
    for (auto& [id, c] : calls_) {
      for (auto& w : c->waiting) w();
    }
    calls_.clear();
    pool_.clear();
  });
  work_.reset();
  thread_.join();
}

void media_anchor::set_ice_config(nat::ice_agent_config ice) {
  std::lock_guard lock(ice_mutex_);
  if (same_servers(ice_, ice)) return;
  ice_ = std::move(ice);
  ++ice_generation_;
}

// ----------------------------------------------------------------- sip thread
std::optional<std::string> media_anchor::rewrite(const sip::sdp_context& ctx,
                                                 const std::string& sdp) {
  auto parsed = sdp_session::parse(sdp);
  if (!parsed) {
    logs.write(log_level::notice,
               "media: call " + ctx.call_id + ": SDP refused: " + parsed.error().describe());
    return std::nullopt;
  }
  auto session = std::make_shared<sdp_session>(std::move(*parsed));
  auto answer = std::make_shared<std::promise<std::optional<std::string>>>();
  auto ready = answer->get_future();
  asio::post(io_, [this, ctx, sdp, session, answer] {
    auto once = std::make_shared<bool>(false);
    process(ctx, sdp, session, [answer, once](std::optional<std::string> out) {
      if (std::exchange(*once, true)) return;
      answer->set_value(std::move(out));
    });
  });
  if (ready.wait_for(config_.rewrite_limit) != std::future_status::ready) {
    logs.write(log_level::warning, "media: call " + ctx.call_id + ": no SDP rewrite within " +
                                       std::to_string(config_.rewrite_limit.count()) + " ms");
    return std::nullopt;
  }
  return ready.get();
}

void media_anchor::dialog_ended(const std::string& call_id, bool only_early) {
  asio::post(io_, [this, call_id, only_early] {
    auto it = calls_.find(call_id);
    if (it == calls_.end() || (only_early && it->second->confirmed)) return;
    release(call_id);
  });
}

void media_anchor::reports(
    std::function<void(std::vector<call_report>, media_anchor_counters)> done) {
  asio::post(io_, [this, done = std::move(done)] {
    std::vector<call_report> out;
    for (const auto& [id, c] : calls_) {
      call_report r{id, c->confirmed, {}};
      for (const auto& s : c->streams)
        if (s) r.streams.push_back(s->report());
      out.push_back(std::move(r));
    }
    done(std::move(out), counters_);
  });
}

// --------------------------------------------------------------- media thread
void media_anchor::process(const sip::sdp_context& ctx, const std::string& body,
                           std::shared_ptr<sdp_session> session, done_fn done) {
  if (stopping_) return done(std::nullopt);
  // A request goes toward the phone when the next hop is not a daemon; a
  // response when it came from one.
  // A stray response's origin is not known: only a far daemon's SDP carries
  // ICE and keys.
  const bool toward_local_phone = ctx.stray         ? looks_like_far_daemon(*session)
                                  : ctx.status == 0 ? !ctx.remote_leg
                                                    : ctx.remote_leg;
  auto it = calls_.find(ctx.call_id);
  if (it != calls_.end() && is_2xx(ctx.status) && !it->second->confirmed) {
    it->second->confirmed = true;
    it->second->confirmed_at = call::clock::now();
  }
  if (toward_local_phone) {
    if (looks_like_far_daemon(*session)) {
      // The far daemon offered, in its request or in a late offer's
      // response (we answer: controlled), or answered our offer.
      const bool far_offer = ctx.status == 0 || ctx.late_offer;
      call& c = call_for(ctx.call_id,
                         far_offer ? nat::ice_role::controlled : nat::ice_role::controlling);
      if (is_2xx(ctx.status) && !c.confirmed) {
        c.confirmed = true;
        c.confirmed_at = call::clock::now();
      }
      return toward_phone(c, *session, done);
    }
    if (it != calls_.end()) {
      ++counters_.refused;
      logs.write(log_level::notice,
                 "media: call " + ctx.call_id + ": the far side's SDP is not anchored (" +
                     (ctx.status ? "a " + std::to_string(ctx.status) : std::string("a request")) +
                     "); refused");
      return done(std::nullopt);
    }
    return done(body);  // between two phones of this daemon, or not anchored at all
  }
  if (it == calls_.end()) {
    // Only an offer starts an anchored call: a request's, or a late offer's
    // in the local phone's response to a far daemon. An ACK's SDP is a late
    // offer's answer to a call that was not anchored.
    const bool offer = ctx.status == 0 || (ctx.late_offer && ctx.upstream_daemon);
    if (!offer || ctx.ack || !wants_anchor(*session)) return done(body);
    call_for(ctx.call_id, nat::ice_role::controlling);
  }
  toward_daemon(ctx.call_id, body, std::move(session), done);
}

bool media_anchor::wants_anchor(const sdp_session& session) const {
  switch (config_.mode) {
    case anchor_mode::always: return true;
    case anchor_mode::never: return false;
    case anchor_mode::nat:
      return std::any_of(session.media().begin(), session.media().end(), [](const sdp_media& m) {
        return m.is_rtp && m.port != 0 && (!m.connection || !is_public(*m.connection));
      });
  }
  return true;
}

media_anchor::call& media_anchor::call_for(const std::string& call_id, nat::ice_role role) {
  auto& slot = calls_[call_id];
  if (!slot) {
    slot = std::make_unique<call>();
    slot->id = call_id;
    slot->role = role;
    ++counters_.calls;
  }
  return *slot;
}

std::unique_ptr<pooled_agent> media_anchor::take_agent(nat::ice_role role) {
  std::uint64_t generation = 0;
  nat::ice_agent_config c;
  {
    std::lock_guard lock(ice_mutex_);
    generation = ice_generation_;
    c = ice_;
  }
  // A gathered one first, then one still gathering.
  for (bool want_gathered : {true, false}) {
    for (auto it = pool_.begin(); it != pool_.end(); ++it) {
      auto& agent = it->second;
      if (it->first != generation || agent->role() != role || agent->failure()) continue;
      if (want_gathered == agent->gathering()) continue;
      auto taken = std::move(agent);
      pool_.erase(it);
      asio::post(io_, [this] { fill_pool(); });
      return taken;
    }
  }
  ++counters_.pool_misses;
  c.role = role;
  asio::post(io_, [this] { fill_pool(); });
  return std::make_unique<pooled_agent>(ice_loop_, io_.get_executor(), std::move(c));
}

void media_anchor::fill_pool() {
  if (stopping_) return;
  std::uint64_t generation = 0;
  nat::ice_agent_config c;
  {
    std::lock_guard lock(ice_mutex_);
    generation = ice_generation_;
    c = ice_;
  }
  const auto now = pooled_agent::clock::now();
  std::erase_if(pool_, [&](const auto& entry) {
    return entry.first != generation || entry.second->failure() ||
           now - entry.second->made() > config_.pool_max_age;
  });
  for (auto role : {nat::ice_role::controlling, nat::ice_role::controlled}) {
    const auto have = static_cast<std::size_t>(std::count_if(
        pool_.begin(), pool_.end(), [role](const auto& e) { return e.second->role() == role; }));
    for (std::size_t i = have; i < config_.pool_size; ++i) {
      auto config = c;
      config.role = role;
      pool_.emplace_back(generation, std::make_unique<pooled_agent>(ice_loop_, io_.get_executor(),
                                                                    std::move(config)));
    }
  }
}

std::optional<media_error> media_anchor::ensure_streams(call& c, const sdp_session& session,
                                                        bool far) {
  const auto& media = session.media();
  if (c.streams.size() < media.size()) c.streams.resize(media.size());
  for (std::size_t i = 0; i < media.size(); ++i) {
    const sdp_media& m = media[i];
    const bool anchorable = m.is_rtp && m.port != 0 && (!far || (m.ice && !m.crypto.empty()));
    if (!anchorable || c.streams[i]) continue;
    const std::string id = c.id;
    auto on_path = [this, id](const anchored_stream& s, const std::string& what) {
      auto it = calls_.find(id);
      if (it == calls_.end()) return;
      call& owner = *it->second;
      if (what == "gathered") {
        // Later, not inside this report: it may come while the stream is
        // being made, before the call holds it.
        asio::post(io_, [this, id] { resume(id); });
        return;
      }
      const std::string detail = "m-line " + std::to_string(s.index()) + ": " + what;
      if (what == "ready") {
        ++counters_.paths_ready;
        const auto& pair = s.report().pair;
        emit("path", id, detail + (pair ? " " + describe_pair(*pair) : std::string()));
        if (!owner.started_announced) {
          owner.started_announced = true;
          emit("start", id, detail);
        }
      } else {
        ++counters_.paths_failed;
        emit("path", id, detail);
      }
    };
    try {
      c.streams[i] =
          std::make_unique<anchored_stream>(io_, config_.phone_address, ports_ ? &*ports_ : nullptr,
                                            take_agent(c.role), m.type, i, on_path);
    } catch (const boost::system::system_error& e) {
      return media_error{media_errc::bad_rewrite,
                         std::string("no port for the phone's leg: ") + e.what()};
    }
    if (far) c.streams[i]->answer_tag(m.crypto.front().tag);
  }
  return std::nullopt;
}

void media_anchor::toward_daemon(const std::string& call_id, const std::string& body,
                                 std::shared_ptr<sdp_session> session, done_fn done) {
  call& c = *calls_.at(call_id);
  if (auto error = ensure_streams(c, *session, false)) {
    ++counters_.refused;
    logs.write(log_level::warning, "media: call " + call_id + ": " + error->describe());
    return done(std::nullopt);
  }
  const auto& media = session->media();
  bool any = false;
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (!c.streams[i] || !media[i].is_rtp || media[i].port == 0) continue;
    c.streams[i]->phone_sdp(media[i]);
    any = true;
  }
  if (!any) return done(body);  // nothing to anchor (all rejected, or no RTP)
  if (c.gathering()) {
    c.waiting.push_back([this, call_id, session, done] {
      auto it = calls_.find(call_id);
      if (it == calls_.end() || stopping_) return done(std::nullopt);
      finish_toward_daemon(*it->second, *session, done);
    });
    return;
  }
  finish_toward_daemon(c, *session, done);
}

void media_anchor::finish_toward_daemon(call& c, const sdp_session& session, const done_fn& done) {
  const auto& media = session.media();
  const anchored_stream* first = nullptr;
  for (const auto& s : c.streams) {
    if (!s) continue;
    if (s->ice().failure() || !s->ice().local() || s->ice().local()->candidates.empty()) {
      ++counters_.refused;
      logs.write(log_level::warning, "media: call " + c.id + ": ICE gathering failed");
      return done(std::nullopt);
    }
    if (!first) first = s.get();
  }
  daemon_rewrite rw;
  rw.address = default_candidate(*first->ice().local()).address.address();
  for (std::size_t i = 0; i < media.size(); ++i) {
    const anchored_stream* s = i < c.streams.size() && c.streams[i] ? c.streams[i].get() : first;
    const auto& local = *s->ice().local();
    rw.media.push_back({default_candidate(local).address.port(), s->local_key(), local});
  }
  auto out = session.toward_daemon(rw);
  if (!out) {
    ++counters_.refused;
    logs.write(log_level::warning, "media: call " + c.id + ": " + out.error().describe());
    return done(std::nullopt);
  }
  done(std::move(*out));
}

void media_anchor::toward_phone(call& c, const sdp_session& session, const done_fn& done) {
  if (auto error = ensure_streams(c, session, true)) {
    ++counters_.refused;
    logs.write(log_level::warning, "media: call " + c.id + ": " + error->describe());
    return done(std::nullopt);
  }
  const auto& media = session.media();
  phone_rewrite rw{config_.phone_address, {}};
  for (std::size_t i = 0; i < media.size(); ++i) {
    const sdp_media& m = media[i];
    anchored_stream* s = c.streams[i].get();
    if (!s || !m.is_rtp || m.port == 0 || !m.ice || m.crypto.empty()) {
      rw.ports.push_back(0);
      continue;
    }
    if (auto error = s->far_sdp(m)) {
      ++counters_.refused;
      logs.write(log_level::warning, "media: call " + c.id + ": " + error->describe());
      return done(std::nullopt);
    }
    rw.ports.push_back(s->phone_port());
  }
  auto out = session.toward_phone(rw);
  if (!out) {
    ++counters_.refused;
    logs.write(log_level::warning, "media: call " + c.id + ": " + out.error().describe());
    return done(std::nullopt);
  }
  done(std::move(*out));
}

void media_anchor::resume(const std::string& call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end() || it->second->gathering()) return;
  auto waiting = std::move(it->second->waiting);
  it->second->waiting.clear();
  for (auto& w : waiting) w();  // each looks the call up again: one may release it
}

void media_anchor::release(const std::string& call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  auto gone = std::move(it->second);
  calls_.erase(it);
  ++counters_.calls_ended;
  for (auto& w : gone->waiting) w();  // they find the call gone and refuse
}

void media_anchor::schedule_sweep() {
  sweep_timer_.expires_after(sweep_period);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    sweep();
    schedule_sweep();
  });
}

void media_anchor::sweep() {
  const auto now = call::clock::now();
  std::vector<std::pair<std::string, std::string>> ending;  // id, why
  for (const auto& [id, c] : calls_) {
    if (!c->confirmed) {
      if (now - c->started > config_.unconfirmed_limit) ending.emplace_back(id, "");
      continue;
    }
    for (const auto& s : c->streams) {
      if (!s || s->held() || !s->silent(now, config_.inactivity, c->confirmed_at)) continue;
      ending.emplace_back(id, "no media for " + std::to_string(config_.inactivity.count() / 1000) +
                                  " s on m-line " + std::to_string(s->index()));
      break;
    }
  }
  for (const auto& [id, why] : ending) {
    if (!why.empty()) {
      ++counters_.inactive;
      logs.write(log_level::notice, "media: call " + id + " ended: " + why);
      emit("inactive", id, why);
      if (hooks_.call_inactive) hooks_.call_inactive(id, why);
    }
    release(id);
  }
  fill_pool();
}

void media_anchor::emit(const std::string& event, const std::string& call_id,
                        const std::string& detail) {
  logs.write(log_level::info, "media: call " + call_id + ": " + event + " " + detail);
  if (hooks_.event) hooks_.event(event, call_id, detail);
}

}  // namespace p2psip::media
