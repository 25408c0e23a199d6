#include "daemon/relay_service.hpp"

#include <pthread.h>
#include <pwd.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <boost/asio/post.hpp>

#include "control/rpc_error.hpp"
#include "identity/credential_store.hpp"
#include "nat/address_range.hpp"
#include "nat/turn_credentials.hpp"
#include "runtime/logger.hpp"
#include "runtime/wire_endpoint.hpp"

namespace p2psip::daemon {

using runtime::logs;

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr auto tick_interval = 1s;
constexpr auto stall_after = 5s;

std::string endpoint_text(const nat::transport_address& endpoint) {
  return address_text(endpoint.address()) + ":" + std::to_string(endpoint.port());
}

json::object traffic_json(const nat::traffic& t) {
  return {{"packets", t.packets}, {"bytes", t.bytes}};
}

// The TURN REST shared secret: the state directory's turn.secret, made on
// first start; none (a fresh one each start) without a state directory.
std::string load_or_create_secret(const std::filesystem::path& state_dir) {
  auto seed = state_dir.empty()
                  ? identity::key_pair::generate_seed()
                  : identity::credential_store(state_dir).load_or_create_seed(turn_secret_file_name);
  if (!seed) throw std::runtime_error("the TURN shared secret: " + seed.error().describe());
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (const auto byte : *seed) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0xf];
  }
  return hex;
}

// The caller's user name, for the default credential id.
std::string user_name(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return "app";
  }
  return found->pw_name;
}

nat::turn_config server_config(const relay_config& config, const asio::ip::address& address,
                               std::string secret) {
  nat::turn_config c;
  c.shared_secret = std::move(secret);
  c.relay_address = address;
  c.relay_port_min = config.relay_port_min;
  c.relay_port_max = config.relay_port_max;
  c.max_allocations = config.max_allocations;
  c.max_allocations_per_user = config.max_allocations_per_user;
  c.bandwidth_per_allocation = config.bandwidth;
  c.peers.allow_loopback = config.allow_loopback_peers;
  // The parser checked every block.
  for (const auto& text : config.deny) c.peers.deny.push_back(*nat::address_range::parse(text));
  for (const auto& text : config.allow) c.peers.allow.push_back(*nat::address_range::parse(text));
  c.peers.own_addresses.push_back(address);
  return c;
}

}  // namespace

json::object allocation_json(const nat::allocation_info& a) {
  json::array permissions;
  for (const auto& p : a.permissions) permissions.emplace_back(p.to_string());
  json::array channels;
  for (const auto& c : a.channels) {
    channels.push_back(json::object{{"number", c.number}, {"peer", endpoint_text(c.peer)}});
  }
  return {{"transport", nat::to_string(a.client.transport)},
          {"client", endpoint_text(a.client.client)},
          {"server", endpoint_text(a.client.server)},
          {"username", a.username},
          {"relayed", endpoint_text(a.relayed)},
          {"permissions", std::move(permissions)},
          {"channels", std::move(channels)},
          {"to_peer", traffic_json(a.to_peer)},
          {"from_peer", traffic_json(a.from_peer)},
          {"age_s", a.age.count()},
          {"expires_in_s", a.expires_in.count()}};
}

relay_service::relay_service(asio::io_context& daemon_io, control::event_bus& events)
    : daemon_io_(daemon_io), events_(events) {}

relay_service::~relay_service() { stop(); }

std::string address_text(const asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<asio::ip::udp::endpoint> relay_service::advertised() const {
  if (!running() || host_address_.is_unspecified()) return std::nullopt;
  return asio::ip::udp::endpoint(host_address_, udp_port_);
}

void relay_service::start(const relay_config& config, const relay_choice& choice,
                          const std::filesystem::path& state_dir,
                          const nat::turn_tls_identity& tls) {
  mode_ = config.mode == relay_mode::automatic ? "auto" : config.mode == relay_mode::on ? "on" : "off";
  why_ = choice.why;
  logs.write(log_level::notice,
             std::string("relay ") + (choice.on ? "on" : "off") + ": " + choice.why);
  if (!choice.on || running()) return;
  const auto address = asio::ip::make_address(choice.address);
  secret_ = load_or_create_secret(state_dir);
  credential_ttl_ = config.credential_ttl;
  host_ = address_text(address);
  host_address_ = address;

  relay_io_ = std::make_unique<asio::io_context>(1);
  nat::turn_listeners listeners;
  listeners.udp = nat::transport_address(address, config.port);
  listeners.tcp = nat::transport_address(address, config.port);
  listeners.tls = nat::transport_address(address, config.tls_port);
  listeners.tls_identity = tls;
  try {
    server_ = std::make_unique<nat::turn_server>(*relay_io_, server_config(config, address, secret_),
                                                 listeners);
  } catch (const std::exception& e) {
    relay_io_.reset();
    throw std::runtime_error(std::string("relay: ") + e.what());
  }
  udp_port_ = server_->udp_endpoint()->port();
  tcp_port_ = server_->tcp_endpoint()->port();
  tls_port_ = server_->tls_endpoint()->port();

  // From the relay thread: the daemon's io_context outlives it.
  server_->on_allocation_change([this, alive = alive_](nat::allocation_change change,
                                                       const nat::allocation_info& allocation) {
    auto fields = allocation_json(allocation);
    fields["change"] = nat::to_string(change);
    asio::post(daemon_io_, [this, alive, fields = std::move(fields)]() mutable {
      if (*alive) events_.publish("relay.allocation", std::move(fields));
    });
  });
  server_->start();
  tick_ = std::make_unique<asio::steady_timer>(*relay_io_);
  work_.emplace(relay_io_->get_executor());
  last_snapshot_at_ = std::chrono::steady_clock::now();
  schedule_tick();
  // Everything above happens before the thread exists; from here on the
  // server, its io_context and the timer are the relay thread's alone.
  thread_ = std::thread([io = relay_io_.get()] {
    ::pthread_setname_np(::pthread_self(), "relay");
    io->run();
  });
  logs.write(log_level::notice, "relay (STUN/TURN) on " + host_ + " UDP " +
                                    std::to_string(udp_port_) + ", TCP " +
                                    std::to_string(tcp_port_) + ", TLS " +
                                    std::to_string(tls_port_) + ", relaying from ports " +
                                    std::to_string(config.relay_port_min) + "-" +
                                    std::to_string(config.relay_port_max));
}

void relay_service::use_certificate(std::string chain_pem) {
  if (!running()) return;
  asio::post(*relay_io_, [this, alive = alive_, chain_pem = std::move(chain_pem)] {
    if (!*alive) return;
    const bool taken = server_->use_certificate_chain(chain_pem);
    logs.write(taken ? log_level::info : log_level::error,
               taken ? "relay: TURN-TLS serves the new certificate to new clients"
                     : "relay: TURN-TLS refused the new certificate; it keeps the old one");
  });
}

void relay_service::stop() {
  if (!thread_.joinable()) return;
  *alive_ = false;
  asio::post(*relay_io_, [this] {
    tick_->cancel();
    server_->stop();
    work_.reset();
  });
  // Then run() returns whatever the server still has outstanding: a relay
  // turned off right after it started (relay.mode auto behind a NAT) once
  // kept it running, and join() held the daemon's thread for good.
  asio::post(*relay_io_, [io = relay_io_.get()] { io->stop(); });
  thread_.join();
  waiting_.clear();
  // The thread is gone: what it owned is the daemon thread's to destroy.
  server_.reset();
  tick_.reset();
  relay_io_.reset();
  alive_ = std::make_shared<bool>(true);
}

void relay_service::turn_off(std::string why) {
  if (!running()) return;
  why_ = std::move(why);
  logs.write(log_level::notice, "relay off: " + why_);
  stop();
}

void relay_service::schedule_tick() {
  tick_->expires_after(tick_interval);
  tick_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    take_snapshot(std::nullopt);
    schedule_tick();
  });
}

// On the relay thread.
void relay_service::take_snapshot(std::optional<std::uint64_t> request) {
  snapshot taken{server_->counters()};
  asio::post(daemon_io_, [this, alive = alive_, taken, request] {
    if (!*alive) return;
    last_ = taken;
    last_snapshot_at_ = std::chrono::steady_clock::now();
    if (request) answer(*request, {});
  });
}

std::uint64_t relay_service::wait_for_answer(std::function<void(json::object)> done) {
  const auto request = ++last_request_;
  waiting_.emplace(request, std::move(done));
  return request;
}

void relay_service::answer(std::uint64_t request, json::object result) {
  const auto found = waiting_.find(request);
  if (found == waiting_.end()) return;
  auto done = std::move(found->second);
  waiting_.erase(found);
  done(std::move(result));
}

void relay_service::refresh(std::function<void()> then) {
  // A stuck relay thread would never answer: the last snapshot must do.
  if (!running() || relay_thread_stalled()) return then();
  const auto request = wait_for_answer([then = std::move(then)](json::object) { then(); });
  asio::post(*relay_io_, [this, request] { take_snapshot(request); });
}

bool relay_service::relay_thread_stalled() const {
  return running() && std::chrono::steady_clock::now() - last_snapshot_at_ > stall_after;
}

json::object relay_service::status() const {
  json::object out{{"mode", mode_}, {"running", running()}, {"why", why_}};
  if (!running()) return out;
  const auto& c = last_.counters;
  out["address"] = host_;
  out["udp_port"] = udp_port_;
  out["tcp_port"] = tcp_port_;
  out["tls_port"] = tls_port_;
  out["allocations"] = c.allocations_created - c.allocations_ended;
  out["thread"] = relay_thread_stalled() ? "stalled" : "running";
  return out;
}

void relay_service::update_metrics(control::metrics_registry& metrics) const {
  if (!running()) return;
  const auto& c = last_.counters;
  // The registry's counters only go up by increments: raise one to `total`.
  const auto catch_up = [](control::counter_metric& counter, std::uint64_t total) {
    if (total > counter.value()) counter.increment(total - counter.value());
  };
  metrics.gauge("relay_allocations", "TURN allocations on this node's relay")
      .set(static_cast<double>(c.allocations_created - c.allocations_ended));
  const std::pair<const char*, const nat::traffic*> directions[] = {{"to_peer", &c.to_peers},
                                                                    {"from_peer", &c.from_peers}};
  for (const auto& [direction, traffic] : directions) {
    catch_up(metrics.counter("relay_packets_total", "packets relayed, by direction",
                             {{"direction", direction}}),
             traffic->packets);
    catch_up(metrics.counter("relay_bytes_total", "bytes of application data relayed, by direction",
                             {{"direction", direction}}),
             traffic->bytes);
  }
  for (std::size_t i = 0; i < nat::refusal_count; ++i) {
    catch_up(metrics.counter("relay_refusals_total",
                             "STUN/TURN requests and data the relay refused or dropped, by reason",
                             {{"reason", nat::to_string(static_cast<nat::refusal>(i))}}),
             c.refusals[i]);
  }
  metrics.gauge("thread_stalled", "1 while a thread leaves its liveness probe unanswered",
                {{"thread", "relay"}})
      .set(relay_thread_stalled() ? 1.0 : 0.0);
}

bool relay_service::refuse_unless_running(const control::responder& respond) const {
  if (running()) return false;
  respond.error(control::make_error("relay_off", "the relay is off (relay.mode is " + mode_ + ")"));
  return true;
}

std::optional<nat::turn_credentials> relay_service::mint(
    const std::string& id, std::optional<std::chrono::seconds> ttl) const {
  if (!running()) return std::nullopt;
  const auto granted = ttl ? std::min(*ttl, credential_ttl_) : credential_ttl_;
  const auto now = unix_seconds();
  // With ephemeral ports (relay.port: 0) UDP and TCP may differ.
  const std::string at = host_ + ":";
  return nat::mint_turn_credentials(
      secret_, id, granted, now,
      {"turn:" + at + std::to_string(udp_port_) + "?transport=udp",
       "turn:" + at + std::to_string(tcp_port_) + "?transport=tcp",
       "turns:" + at + std::to_string(tls_port_) + "?transport=tcp"});
}

std::vector<wire::ice_candidate> relay_service::candidates() const {
  std::vector<wire::ice_candidate> out;
  if (!running()) return out;
  const auto candidate = [&](std::uint16_t port, wire::overlay_link_type link) {
    wire::ice_candidate c;
    c.addr_port = runtime::to_wire(host_address_, port);
    c.overlay_link = link;
    c.foundation = {'1'};
    c.priority = 1;
    c.type = wire::cand_type::host;
    return c;
  };
  out.push_back(candidate(udp_port_, wire::overlay_link_type::dtls_udp_sr_no_ice));
  out.push_back(candidate(tls_port_, wire::overlay_link_type::tls_tcp_fh_no_ice));
  return out;
}

void relay_service::credentials(const json::object& params,
                                const control::responder& respond) const {
  const auto* id = params.if_contains("id");
  std::optional<std::chrono::seconds> ttl;
  if (const auto* wanted = params.if_contains("ttl")) {
    ttl = std::chrono::seconds(wanted->to_number<std::int64_t>());
  }
  auto minted =
      mint(id != nullptr ? std::string(id->as_string()) : user_name(respond.peer().uid), ttl);
  respond.result(credentials_json(*minted));
}

json::object credentials_json(const nat::turn_credentials& credentials) {
  json::array uris;
  for (const auto& uri : credentials.uris) uris.emplace_back(uri);
  return {{"username", credentials.username},
          {"password", credentials.password},
          {"ttl", credentials.ttl.count()},
          {"uris", std::move(uris)}};
}

void relay_service::register_methods(control::control_server& server) {
  server.handle("relay.allocations", [this](const json::object&, control::responder r) {
    if (refuse_unless_running(r)) return;
    if (relay_thread_stalled()) {
      return r.error(control::make_error("internal_error", "the relay thread is stalled"));
    }
    // The responder stays on this thread: only the request's number travels.
    const auto request = wait_for_answer([r](json::object result) { r.result(std::move(result)); });
    asio::post(*relay_io_, [this, alive = alive_, request] {
      json::array list;
      for (const auto& a : server_->list_allocations()) list.push_back(allocation_json(a));
      asio::post(daemon_io_, [this, alive, request, list = std::move(list)]() mutable {
        if (*alive) answer(request, {{"allocations", std::move(list)}});
      });
    });
  });
  server.handle("relay.credentials", [this](const json::object& p, control::responder r) {
    if (refuse_unless_running(r)) return;
    credentials(p, r);
  });
}

}  // namespace p2psip::daemon
