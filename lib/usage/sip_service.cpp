#include "usage/sip_service.hpp"

#include <sofia-sip/su_log.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/asio/post.hpp>

#include "control/rpc_error.hpp"
#include "identity/atomic_file.hpp"
#include "identity/credential_store.hpp"
#include "runtime/logger.hpp"
#include "sip/presence_poll_list.hpp"
#include "sip/sip_front.hpp"
#include "usage/bindings_store.hpp"
#include "usage/presence_state_file.hpp"

namespace p2psip::usage {

using runtime::log_level;
using runtime::logs;

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// sofia-sip writes a log line in several printf calls; the pieces are
// gathered per thread (only the sip thread logs) up to the newline.
void sofia_logger(void*, const char* format, va_list args) {
  thread_local std::string line;
  char buffer[1024];
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(buffer, sizeof buffer, format, copy);
  va_end(copy);
  if (n <= 0) return;
  line.append(buffer, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buffer - 1));
  std::size_t end;
  while ((end = line.find('\n')) != std::string::npos) {
    if (end > 0) logs.write(log_level::debug, "sofia: " + line.substr(0, end));
    line.erase(0, end + 1);
  }
  if (line.size() > 4096) line.clear();  // a runaway line without newline
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

sip::auth_mode auth_mode_of(sip_auth_mode mode) {
  switch (mode) {
    case sip_auth_mode::automatic: return sip::auth_mode::automatic;
    case sip_auth_mode::always: return sip::auth_mode::always;
    case sip_auth_mode::never: return sip::auth_mode::never;
  }
  return sip::auth_mode::automatic;
}

json::object contact_json(const sip::contact_binding& c) {
  const auto remaining = c.remaining(sip::sip_clock::now()).count();
  return {{"uri", c.uri},
          {"expires_s", std::max<std::int64_t>(remaining, 0)},
          {"instance", c.instance},
          {"gruu", c.gruu}};
}

json::object dialog_json(const sip::dialog_info& d) {
  const auto started =
      std::chrono::duration_cast<std::chrono::seconds>(d.started.time_since_epoch()).count();
  return {{"call_id", d.call_id}, {"from", d.from},
          {"to", d.to},           {"state", d.confirmed ? "confirmed" : "early"},
          {"remote", d.remote},   {"started", started}};
}

// sip.call's answer: the call connected, or an error saying which leg
// failed with which SIP status.
void answer_call(const control::responder& r, const json::value& from, const sip::call_answer& a) {
  using outcome = sip::call_answer::outcome;
  const std::string sip_status = std::to_string(a.status) + " " + a.phrase;
  switch (a.result) {
    case outcome::connected:
      return r.result({{"call", a.id},
                       {"caller_call_id", a.caller_call_id},
                       {"callee_call_id", a.callee_call_id},
                       {"status", a.status}});
    case outcome::not_local:
      return r.error(control::make_error(
          "not_registered",
          "the caller " + std::string(from.as_string()) +
              " has no phone registered on this node: sip.call rings the caller's own phone",
          {{"aor", from}}));
    case outcome::bad_address:
      return r.error(control::make_error("bad_format", "from and to must be SIP URIs"));
    case outcome::too_many:
      return r.error(control::make_error("call_failed", "too many click-to-calls under way",
                                         {{"status", 503}}));
    case outcome::caller_failed:
    case outcome::callee_failed:
    case outcome::hung_up: {
      const char* leg = a.result == outcome::callee_failed ? "callee" : "caller";
      const std::string message =
          a.result == outcome::hung_up         ? "the call was hung up before it connected"
          : a.result == outcome::caller_failed ? "the caller's phone answered " + sip_status
                                               : "the callee's side answered " + sip_status;
      return r.error(control::make_error("call_failed", message,
                                         {{"call", a.id},
                                          {"leg", a.result == outcome::hung_up ? "" : leg},
                                          {"status", a.status},
                                          {"phrase", a.phrase}}));
    }
  }
}

json::object presence_json(const sip::presence_view& v) {
  return {{"aor", v.aor},
          {"status", v.open ? "open" : "closed"},
          {"note", v.note},
          {"activity", v.activity},
          {"source", sip::to_string(v.source)}};
}

// The seed of the AORs' own keys, kept in the state directory so that a
// restart signs with the same keys; with none (nothing persists) a new one.
identity::key_seed aor_key_seed(const sip_service_options& options,
                                const std::filesystem::path& state_dir) {
  if (!options.self_signed_permitted) return {};
  auto seed = state_dir.empty()
                  ? identity::key_pair::generate_seed()
                  : identity::credential_store(state_dir).load_or_create_seed(aor_seed_file_name);
  if (!seed) throw std::runtime_error("the SIP users' key seed: " + seed.error().describe());
  return *seed;
}

// The accounts held for phones' users, when the overlay has an authority
// for them and there is a state directory to keep their keys in.
std::unique_ptr<phone_accounts> make_accounts(const sip_service_options& options,
                                              const overlay::overlay_node& node,
                                              const identity::message_signer& signer,
                                              const std::filesystem::path& state_dir) {
  if (!options.accounts_authority || state_dir.empty()) return nullptr;
  return std::make_unique<phone_accounts>(state_dir / accounts_dir_name, options.accounts_authority,
                                          node.self(), signer.certificate().user_name(),
                                          options.account_trust);
}

}  // namespace

bool sip_aor_in_domains(const sip_config& config, const std::string& aor) {
  const auto name = aor_resource_name(aor);  // user@domain
  const auto at = name.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == name.size()) return false;
  if (config.domains.empty()) return true;
  const auto domain = lowercase(name.substr(at + 1));
  return std::any_of(config.domains.begin(), config.domains.end(),
                     [&](const std::string& d) { return lowercase(d) == domain; });
}

bool sip_aor_allowed(const sip_config& config, const std::string& aor) {
  if (!config.users.empty()) {
    const auto name = aor_resource_name(aor);
    return name.find('@') != std::string::npos &&
           std::any_of(config.users.begin(), config.users.end(),
                       [&](const std::string& user) { return aor_resource_name(user) == name; });
  }
  return sip_aor_in_domains(config, aor);
}

sip_service::sip_service(asio::io_context& io, overlay::overlay_node& node,
                         identity::message_signer& signer, const link::tls_context& tls,
                         control::event_bus& events, sip_service_options options,
                         const std::filesystem::path& state_dir)
    : io_(io),
      node_(node),
      events_(events),
      options_(std::move(options)),
      accounts_(make_accounts(options_, node, signer, state_dir)),
      certificates_(node),
      directory_(
          node, signer,
          {.per_aor_identities = options_.self_signed_permitted,
           .overlay_name = options_.overlay_name,
           .self_signed_digest = options_.self_signed_digest,
           .aor_key_seed = aor_key_seed(options_, state_dir),
           .account_signer =
               accounts_ ? std::function<identity::message_signer*(const std::string&)>(
                               [this](const std::string& user) { return accounts_->signer(user); })
                         : nullptr}),
      channel_(io, node, tls,
               {.listen_address = asio::ip::make_address(options_.node_listen_address),
                .open_ice_stream = options_.open_ice_stream}),
      inbox_(
          node, signer, [this](const std::string& user) { return directory_.user_signer(user); },
          [this](const sip::offline_message& m, std::function<void(bool)> delivered) {
            if (!front_) return delivered(false);
            front_->deliver_stored(m, [delivered](const sip::message_result& r) {
              delivered(r.status >= 200 && r.status < 300);
            });
          },
          {.lifetime = options_.sip.offline_lifetime,
           .ledger_file = state_dir.empty() ? state_dir : state_dir / inbox_ledger_file_name,
           .recipient_certificates = options_.recipient_certificates}),
      apps_(
          [this](const std::string& aor, const std::string& token, std::chrono::seconds expires,
                 std::function<void(sip::app_binding_answer)> done) {
            if (!front_) return done({503, "the SIP front is off", {}, {}});
            front_->bind_app(aor, token, expires, std::move(done));
          },
          std::chrono::seconds{3600},
          state_dir.empty() ? state_dir : state_dir / app_leases_file_name),
      watches_(
          [this](const sip::presence_view& known, std::function<void(bool)> done) {
            if (!front_) return done(false);
            front_->follow_presence(known, std::move(done));
          },
          [this](const std::string& aor) {
            if (front_) front_->unfollow_presence(aor);
          }),
      bindings_file_(state_dir.empty() ? state_dir : state_dir / bindings_file_name),
      presence_state_file_(state_dir.empty() ? state_dir : state_dir / presence_state_file_name),
      tick_(io) {
  if (!accounts_) return;
  accounts_->on_certificate = [this](identity::message_signer&) {
    std::vector<identity::message_signer*> all;
    for (const auto& cert : accounts_->certificates()) {
      all.push_back(accounts_->signer(*cert.user_name()));
    }
    certificates_.publish(std::move(all));
  };
  accounts_->load(std::chrono::system_clock::now());
}

std::vector<identity::node_certificate> sip_service::account_certificates() const {
  return accounts_ ? accounts_->certificates() : std::vector<identity::node_certificate>{};
}

sip_service::~sip_service() {
  *alive_ = false;
  stop();
}

void sip_service::start() {
  const auto& c = options_.sip;
  if (!c.enabled || front_) return;
  su_log_redirect(su_log_default, sofia_logger, nullptr);
  su_log_set_level(su_log_default, logs.enabled(log_level::debug) ? 3 : 1);

  sip::sip_front_config fc;
  fc.listen_host = c.listen_address;
  fc.listen_port = c.listen_port;
  fc.self = node_.self();
  fc.may_register = [c](const std::string& aor) { return sip_aor_allowed(c, aor); };
  fc.may_watch = [c](const std::string& aor) { return sip_aor_in_domains(c, aor); };
  // RFC 7904 §6: a GRUU names this node and the instance (sip_directory.hpp).
  // Pure, since the front calls it on its own thread.
  fc.gr_token = [self = node_.self()](const std::string& aor, const std::string& instance) {
    return instance_gruu_token(self, aor, instance);
  };
  fc.auth = auth_mode_of(c.auth);
  fc.auth_realm = c.realm.empty() ? options_.overlay_name : c.realm;
  if (c.auth_file) fc.auth_db = c.auth_file->string();
  // The front's own digest (sip.auth-file) answers Authorization itself.
  if (accounts_ && fc.auth_db.empty()) {
    fc.account_gate = [this, alive = alive_](const sip::account_request& request,
                                             std::function<void(sip::account_verdict)> done) {
      if (!*alive) return done({});
      accounts_->gate(request, std::move(done));
    };
  }
  if (c.offline_lifetime.count() > 0) {
    fc.store_offline = [this, alive = alive_](const sip::offline_message& m,
                                              std::function<void(sip::offline_answer)> done) {
      if (*alive) inbox_.store(m, std::move(done));
    };
  }

  sip::sip_events ev;
  ev.on_registration = [this, alive = alive_](const sip::registration_info& r) {
    if (!*alive) return;
    json::array contacts;
    for (const auto& b : r.contacts) contacts.push_back(contact_json(b));
    events_.publish("sip.registration", {{"aor", r.aor}, {"contacts", std::move(contacts)}});
  };
  ev.on_presence = [this, alive = alive_](const sip::presence_view& v) {
    if (*alive) events_.publish("sip.presence", presence_json(v));
  };
  ev.on_followed_presence = [this, alive = alive_](const sip::presence_view& v) {
    if (*alive) watches_.changed(v);
  };
  ev.on_registered = [this, alive = alive_](const std::string& aor) {
    if (*alive) inbox_.drain(aor);
  };
  ev.on_dialog = [this, alive = alive_](const sip::dialog_info& d, bool ended) {
    if (!*alive) return;
    auto fields = dialog_json(d);
    fields["ended"] = ended;
    events_.publish("sip.dialog", std::move(fields));
  };
  ev.on_presence_state = [this, alive = alive_](const sip::saved_presence& all) {
    // Not once stopped: stop() saved the final state, newer than this one.
    if (*alive && front_) save_presence_state(all);
  };
  ev.on_app_message = [this, alive = alive_](const sip::app_message& m,
                                             std::function<void(bool)> queued) {
    queued(*alive && apps_.deliver(m));
  };
  // The front first: the channel splices inbound streams to its TCP
  // endpoint, so AppAttach is answered only once that exists.
  front_ = std::make_unique<sip::sip_front>(
      std::move(fc), directory_, channel_,
      [this, alive = alive_](std::function<void()> task) {
        // From the sip thread: the io_context outlives the front.
        asio::post(io_, [alive, task = std::move(task)] {
          if (*alive) task();
        });
      },
      std::move(ev), options_.sdp);
  channel_.start(front_->tcp_endpoint());
  const auto& e = front_->endpoints();
  logs.write(log_level::notice, "SIP front on " + e.udp.host + ":" + std::to_string(e.udp.port) +
                                    " (UDP, TCP " + std::to_string(e.tcp.port) + ")");
  restore_bindings();
  restore_presence_state();
  schedule_tick();
}

void sip_service::save_presence_state(const sip::saved_presence& all) {
  if (presence_state_file_.empty()) return;
  const auto text = presence_state_text(all, std::chrono::system_clock::now());
  if (auto written =
          identity::write_file_atomically(presence_state_file_, text, identity::secret_file_mode);
      !written) {
    logs.write(log_level::warning,
               "sip: cannot save the presence state: " + written.error().describe());
  }
}

void sip_service::restore_presence_state() {
  if (presence_state_file_.empty()) return;
  const auto text = identity::read_file(presence_state_file_, max_presence_state_file_bytes);
  if (!text) return;  // none yet
  auto saved = parse_presence_state(*text, std::chrono::system_clock::now());
  if (!saved) {
    logs.write(log_level::warning,
               "sip: " + presence_state_file_.string() + " is not a presence state file: ignored");
    return;
  }
  logs.write(log_level::info, "sip: " + std::to_string(saved->publications.size()) +
                                  " presence publications and " +
                                  std::to_string(saved->subscriptions.size()) +
                                  " subscriptions restored from " + presence_state_file_.string());
  front_->restore_presence_state(std::move(*saved));
}

void sip_service::stop() {
  if (!front_) return;
  tick_.cancel();
  front_->stop();
  if (directory_.changes() != saved_changes_)
    save(front_->final_registrations(), directory_.changes());
  // The NOTIFYs of the last second (their CSeqs) are not saved yet.
  if (auto presence = front_->final_presence_state()) save_presence_state(*presence);
  front_.reset();
  channel_.stop();
}

void sip_service::end_call(const std::string& call_id, const std::string& why) {
  if (front_) front_->end_call(call_id, why);
}

void sip_service::restore_bindings() {
  if (bindings_file_.empty()) return;
  auto loaded = load_bindings(bindings_file_, clock_reading::now());
  auto& parsed = loaded.parsed;
  if (!parsed.error.empty()) {
    logs.write(log_level::error,
               "sip: " + bindings_file_.string() + ": bindings not restored: " + parsed.error +
                   "; starting with none" +
                   (loaded.set_aside ? ", the file is kept as " + loaded.set_aside->string()
                                     : std::string()));
    return;
  }
  auto& restored = parsed.aors;
  // The config may have changed since the file was saved. Apps' contacts
  // lived with control connections, which a restart ended; leased ones are
  // bound again at this front's address by app_bindings (app_bindings.hpp).
  std::erase_if(restored,
                [&](const saved_aor& a) { return !sip_aor_allowed(options_.sip, a.aor); });
  for (auto& a : restored) {
    std::erase_if(a.contacts, [](const sip::contact_binding& c) {
      return c.uri.find(std::string(";") + sip::app_token_param + "=") != std::string::npos;
    });
  }
  std::erase_if(restored, [](const saved_aor& a) { return a.contacts.empty(); });
  if (restored.empty() && parsed.expired == 0) return;
  std::size_t contacts = 0;
  for (const auto& a : restored) contacts += a.contacts.size();
  logs.write(log_level::notice, "sip: restored " + std::to_string(contacts) + " binding(s) of " +
                                    std::to_string(restored.size()) + " AOR(s) from " +
                                    bindings_file_.string() + " (" +
                                    std::to_string(parsed.expired) + " expired)");
  front_->restore(std::move(restored));
}

void sip_service::find_presence(const std::string& aor, std::function<void(presence_answer)> done) {
  front_->presence(aor, [this, alive = alive_, aor, done](const sip::presence_view& here) {
    if (!*alive || !front_) return;
    if (here.source != sip::presence_source::unregistered) {
      auto fields = presence_json(here);
      fields["aor"] = aor;
      fields["where"] = "local";
      fields["reason"] = "";
      return done({std::nullopt, std::move(fields), here});
    }
    front_->fetch_presence(aor, [aor, done](const sip::remote_presence& far) {
      if (far.status == 408 || far.status == 503) {
        return done({control::make_error(far.status == 408 ? "timeout" : "no_route", far.phrase,
                                         {{"aor", aor}}),
                     {},
                     {}});
      }
      if (far.status == 400)
        return done(
            {control::make_error("bad_format", "not an AOR: " + aor, {{"aor", aor}}), {}, {}});
      auto fields = presence_json(far.view);
      fields["aor"] = aor;
      if (far.status == 200) {
        fields["where"] = "overlay";
        fields["reason"] = "";
      } else {
        fields["source"] = sip::to_string(sip::presence_source::unregistered);
        fields["where"] = "";
        fields["reason"] = far.status == 404   ? std::string("not registered")
                           : far.status == 480 ? std::string("registered but unreachable")
                                               : std::to_string(far.status) + " " + far.phrase;
      }
      sip::presence_view view = far.view;
      view.aor = sip::normalize_aor(aor);
      done({std::nullopt, std::move(fields), view});
    });
  });
}

void sip_service::schedule_tick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || !front_) return;
    directory_.publish_pending();
    certificates_.publish_pending();
    inbox_.drain_waiting();
    apps_.tick(app_clock::now());
    save_if_changed();
    if (!probe_sent_) {
      probe_sent_ = std::chrono::steady_clock::now();
      front_->probe([this, alive] {
        if (*alive) probe_sent_.reset();
      });
    }
    schedule_tick();
  });
}

void sip_service::save_if_changed() {
  const auto changes = directory_.changes();
  if (bindings_file_.empty() || saving_ || changes == saved_changes_ ||
      std::chrono::steady_clock::now() < next_save_) {
    return;
  }
  saving_ = true;
  front_->registrations([this, alive = alive_, changes](std::vector<sip::registration_info> all) {
    if (!*alive) return;
    saving_ = false;
    if (front_) save(all, changes);  // else stop() saved
  });
}

void sip_service::save(const std::vector<sip::registration_info>& all, std::uint64_t changes) {
  if (bindings_file_.empty()) return;
  const auto started = std::chrono::steady_clock::now();
  const auto failed = save_bindings(bindings_file_, all, clock_reading::now());
  const auto finished = std::chrono::steady_clock::now();
  // A big table takes a while to write: the disk gets a twentieth of the time.
  next_save_ = finished + std::max<std::chrono::steady_clock::duration>(std::chrono::seconds(1),
                                                                        20 * (finished - started));
  if (failed.empty()) {
    saved_changes_ = changes;
    if (!save_error_.empty()) logs.write(log_level::notice, "sip: bindings saved again");
  } else if (failed != save_error_) {
    logs.write(log_level::warning, "sip: cannot save the bindings: " + failed);
  }
  save_error_ = failed;
}

json::object sip_service::status() const {
  if (!front_) return {{"enabled", false}};
  const auto& e = front_->endpoints();
  return {{"enabled", true},
          {"udp", e.udp.host + ":" + std::to_string(e.udp.port)},
          {"tcp", e.tcp.host + ":" + std::to_string(e.tcp.port)},
          {"thread", sip_thread_stalled() ? "stalled" : "running"}};
}

bool sip_service::sip_thread_stalled() const {
  // A few ticks: sofia's own work (a REGISTER burst) delays a probe briefly.
  constexpr auto stall_after = std::chrono::seconds(5);
  return front_ && probe_sent_ && std::chrono::steady_clock::now() - *probe_sent_ > stall_after;
}

bool sip_service::refuse_unless_running(const control::responder& respond) const {
  if (front_) return false;
  respond.error(control::make_error("not_implemented", "the SIP front is off (sip.enabled)"));
  return true;
}

void sip_service::register_methods(control::control_server& server) {
  server.handle("sip.registrations", [this](const json::object&, control::responder r) {
    if (refuse_unless_running(r)) return;
    front_->registrations([this, alive = alive_, r](std::vector<sip::registration_info> all) {
      if (!*alive) return;
      json::array list;
      for (const auto& reg : all) {
        json::array contacts;
        for (const auto& b : reg.contacts) contacts.push_back(contact_json(b));
        list.push_back(json::object{{"aor", reg.aor},
                                    {"published", directory_.publication_state(reg.aor)},
                                    {"contacts", std::move(contacts)}});
      }
      r.result({{"registrations", std::move(list)}});
    });
  });
  server.handle("sip.lookup", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    const std::string aor(p.at("aor").as_string());
    front_->lookup(aor, [r, aor](sip::lookup_answer answer) {
      json::array local;
      for (const auto& b : answer.local) local.emplace_back(b.uri);
      json::array nodes;
      for (const auto& t : answer.overlay.targets) {
        if (t.where == sip::route_target::kind::remote_node) nodes.emplace_back(t.node.hex());
      }
      r.result(
          {{"aor", aor},
           {"local", std::move(local)},
           {"nodes", std::move(nodes)},
           {"status", answer.local.empty() ? answer.overlay.status : 0},
           {"reason", answer.local.empty() ? (answer.overlay.reason.empty() ? answer.overlay.phrase
                                                                            : answer.overlay.reason)
                                           : std::string()}});
    });
  });
  server.handle("sip.presence", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    find_presence(std::string(p.at("aor").as_string()), [r](const presence_answer& a) {
      if (a.error) return r.error(*a.error);
      r.result(a.fields);
    });
  });
  server.handle("sip.presence.watch", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    const std::string aor(p.at("aor").as_string());
    if (!sip_aor_in_domains(options_.sip, aor)) {
      return r.error(control::make_error(
          "aor_not_allowed", "not an AOR of this overlay (user@domain, within sip.domains): " + aor,
          {{"aor", aor}}));
    }
    find_presence(aor, [this, alive = alive_, r](presence_answer a) {
      if (a.error) return r.error(*a.error);
      if (!*alive) return;
      watches_.add(
          a.view, r.client(),
          [r, fields = std::move(a.fields)](std::uint64_t id,
                                            presence_watches::refusal why) mutable {
            if (why == presence_watches::refusal::too_many_watches) {
              return r.error(control::make_error(
                  "too_many_watches", "this node holds " + std::to_string(max_presence_watches) +
                                          " presence watches; end one with sip.presence.unwatch"));
            }
            if (why == presence_watches::refusal::too_many_aors) {
              return r.error(control::make_error("too_many_watches",
                                                 "this node follows " +
                                                     std::to_string(sip::max_followed_aors) +
                                                     " AORs, the most it polls"));
            }
            fields["watch"] = id;
            fields["interval_s"] = sip::presence_poll_interval.count();
            r.result(std::move(fields));
          });
    });
  });
  server.handle("sip.presence.unwatch", [this](const json::object& p, control::responder r) {
    const auto id = p.at("watch").to_number<std::uint64_t>();
    if (!watches_.remove(id, r.client())) {
      return r.error(control::make_error(
          "unknown_watch", "this connection has no presence watch " + std::to_string(id)));
    }
    r.result({{"watch", id}, {"removed", true}});
  });
  server.handle("sip.dialogs", [this](const json::object&, control::responder r) {
    if (refuse_unless_running(r)) return;
    front_->dialogs([this, r, alive = alive_](std::vector<sip::dialog_info> all) {
      auto answer = [r, all](const json::object* media) {
        json::array list;
        for (const auto& d : all) {
          auto item = dialog_json(d);
          if (media) {
            const auto* m = media->if_contains(d.call_id);
            item["media"] = m ? *m : json::value(json::array());
          }
          list.push_back(std::move(item));
        }
        r.result({{"dialogs", std::move(list)}});
      };
      if (!*alive || !options_.call_media) return answer(nullptr);
      options_.call_media([this, alive, answer](json::object media) {
        asio::post(io_, [alive, answer, media = std::move(media)] {
          if (*alive) answer(&media);
        });
      });
    });
  });
  server.handle("sip.register", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    const std::string aor = sip::normalize_aor(std::string(p.at("aor").as_string()));
    if (aor.find('@') == std::string::npos || !sip_aor_allowed(options_.sip, aor)) {
      return r.error(control::make_error(
          "aor_not_allowed",
          "not an AOR this node may register (user@domain, within sip.users and sip.domains): " +
              std::string(p.at("aor").as_string()),
          {{"aor", p.at("aor")}}));
    }
    std::optional<std::chrono::seconds> lease;
    if (const auto* expires = p.if_contains("expires"))
      lease = std::chrono::seconds(expires->as_int64());
    apps_.claim(aor, r.client(), lease, [r](const app_claim& c) {
      if (c.status != 200) {
        return r.error(control::make_error(
            c.status == 403 ? "aor_not_allowed" : "delivery_failed",
            "the binding was refused: " + std::to_string(c.status) + " " + c.phrase,
            {{"aor", c.aor}, {"status", c.status}}));
      }
      r.result({{"aor", c.aor},
                {"contact", c.contact},
                {"expires_s", c.expires.count()},
                {"lease_s", c.lease.count()}});
    });
  });
  server.handle("sip.unregister", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    const std::string aor = sip::normalize_aor(std::string(p.at("aor").as_string()));
    if (!apps_.release(aor, r.client())) {
      return r.error(control::make_error(
          "not_registered",
          "this client owns no registration of " + std::string(p.at("aor").as_string()),
          {{"aor", p.at("aor")}}));
    }
    r.result({{"aor", aor}, {"removed", true}});
  });
  server.handle("sip.call", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    const json::value from = p.at("from");
    front_->call(std::string(p.at("from").as_string()), std::string(p.at("to").as_string()),
                 [r, from](const sip::call_answer& a) { answer_call(r, from, a); });
  });
  server.handle("sip.hangup", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    const json::value id = p.at("call");
    front_->hangup(std::string(id.as_string()), [r, id](const sip::hangup_answer& a) {
      if (!a.found) {
        return r.error(control::make_error(
            "no_such_call", "no click-to-call under way is " + std::string(id.as_string()),
            {{"call", id}}));
      }
      r.result({{"call", a.id}, {"cancelled", a.cancelled}});
    });
  });
  server.handle("sip.message", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    front_->send_message(std::string(p.at("from").as_string()), std::string(p.at("to").as_string()),
                         std::string(p.at("body").as_string()),
                         std::string(p.at("content_type").as_string()), [r](sip::message_result m) {
                           r.result({{"status", m.status}, {"phrase", m.phrase}});
                         });
  });
}

}  // namespace p2psip::usage
