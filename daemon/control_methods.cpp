// The JSON-RPC methods p2psipd serves on its control socket
// (p2psip-rpc(7)): node status, the overlay's tables, and app-data storage.
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "control/rpc_error.hpp"
#include "control/standard_methods.hpp"
#include "nat/turn_credentials.hpp"
#include "runtime/wire_endpoint.hpp"
#include "runtime/logger.hpp"
#include "daemon/p2psip_daemon.hpp"
#include "overlay/ring.hpp"
#include "wire/id_hash.hpp"

namespace p2psip::daemon {

using runtime::logs;

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

json::array hex_list(const std::vector<wire::node_id>& ids) {
  json::array out;
  for (const auto& id : ids) out.emplace_back(id.hex());
  return out;
}

// --- value encodings of storage.put / storage.get -------------------------------

std::optional<std::vector<std::uint8_t>> decode_value(std::string_view text,
                                                      std::string_view encoding) {
  if (encoding == "hex") return wire::from_hex(text);
  if (encoding == "base64") {
    std::vector<std::uint8_t> out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
      int v;
      if (c >= 'A' && c <= 'Z')
        v = c - 'A';
      else if (c >= 'a' && c <= 'z')
        v = c - 'a' + 26;
      else if (c >= '0' && c <= '9')
        v = c - '0' + 52;
      else if (c == '+')
        v = 62;
      else if (c == '/')
        v = 63;
      else if (c == '=')
        break;
      else
        return std::nullopt;
      buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<std::uint8_t>(buffer >> bits));
      }
    }
    return out;
  }
  return bytes_of(text);
}

std::string encode_value(const std::vector<std::uint8_t>& value, std::string_view encoding) {
  if (encoding == "hex") return wire::to_hex(value);
  if (encoding == "base64") {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < value.size(); i += 3) {
      const std::uint32_t n = (value[i] << 16) | (value[i + 1] << 8) | value[i + 2];
      for (int s = 18; s >= 0; s -= 6) out += alphabet[(n >> s) & 63];
    }
    if (i < value.size()) {
      std::uint32_t n = value[i] << 16;
      if (i + 1 < value.size()) n |= value[i + 1] << 8;
      out += alphabet[(n >> 18) & 63];
      out += alphabet[(n >> 12) & 63];
      out += i + 1 < value.size() ? alphabet[(n >> 6) & 63] : '=';
      out += '=';
    }
    return out;
  }
  return {value.begin(), value.end()};
}

// storage.put and storage.get name app-data values "OWNER/ENTRY": the
// dictionary entry ENTRY of the dictionary at H(OWNER), OWNER being a user
// name (USER-MATCH, §7.3.1: only that user may write there) or a Resource-ID
// in hex. An empty OWNER ("/ENTRY") is this node's own user name, and so is
// a put key without "/"; a get key without "/" is an OWNER, and every entry
// of that dictionary is returned.
struct app_data_key {
  wire::resource_id resource;
  std::string owner;
  std::optional<std::string> entry;
};

enum class key_use { put, get };

app_data_key parse_app_data_key(std::string_view key, const std::string& own_user, key_use use) {
  app_data_key out;
  const auto slash = key.find('/');
  if (slash != std::string_view::npos) {
    out.owner = std::string(key.substr(0, slash));
    out.entry = std::string(key.substr(slash + 1));
  } else if (use == key_use::put) {
    out.entry = std::string(key);
  } else {
    out.owner = std::string(key);
  }
  if (out.owner.empty()) out.owner = own_user;
  const auto as_hex =
      out.owner.size() >= 2 * wire::node_id_length ? wire::from_hex(out.owner) : std::nullopt;
  if (as_hex) {
    if (auto id = wire::resource_id::from_span(*as_hex)) out.resource = *id;
  } else {
    out.resource = wire::hash_resource_name(out.owner);
  }
  return out;
}

// storage.get reads app-data, and SIP-INBOX entries too (their keys in hex),
// so an operator can see what storing nodes hold for a recipient: sealed
// messages (sip_inbox.hpp).
std::optional<wire::kind_id> readable_kind(const std::string& kind) {
  if (kind == "app-data" || kind == std::to_string(storage::app_data_kind.value))
    return storage::app_data_kind;
  if (kind == "sip-inbox" || kind == std::to_string(storage::sip_inbox_kind.value))
    return storage::sip_inbox_kind;
  return std::nullopt;
}

// A Fetch of every entry of a dictionary at the key's Resource-ID, or of the
// key's one entry.
wire::fetch_req dictionary_fetch(const app_data_key& key, wire::kind_id kind) {
  wire::stored_data_specifier specifier;
  specifier.kind = kind;
  std::vector<wire::dictionary_key> entries;
  if (key.entry && !key.entry->empty()) entries.push_back(bytes_of(*key.entry));
  specifier.model_specifier = std::move(entries);
  wire::fetch_req request;
  request.resource = key.resource;
  request.specifiers.push_back(std::move(specifier));
  return request;
}

// The entries that exist, as storage.get returns them; binary keys in hex.
json::array dictionary_values(const wire::fetch_ans& fetched, std::string_view encoding,
                              bool hex_keys) {
  json::array values;
  for (const auto& block : fetched.kind_responses) {
    const auto* list = std::get_if<0>(&block.values);
    if (list == nullptr) continue;
    for (const auto& data : *list) {
      const auto* entry = std::get_if<wire::dictionary_entry>(&data.value.entry);
      if (entry == nullptr || !entry->value.exists) continue;
      values.push_back(
          json::object{{"key", hex_keys ? wire::to_hex(entry->key)
                                        : std::string(entry->key.begin(), entry->key.end())},
                       {"value", encode_value(entry->value.value, encoding)},
                       {"generation", block.generation.value},
                       {"lifetime_s", data.lifetime}});
    }
  }
  return values;
}

control::rpc_error request_failed(const overlay::request_error& e) {
  using overlay::request_failure;
  switch (e.failure) {
    case request_failure::timeout:
      return control::make_error("timeout", "the overlay did not answer");
    case request_failure::not_routable:
      return control::make_error("no_route", "no route to the responsible peer");
    case request_failure::too_large: return control::make_error("too_large", e.info);
    case request_failure::isolated: return control::make_error("no_route", e.info);
    case request_failure::error_response:
      if (e.code == wire::reload_error_code::not_found) {
        return control::make_error("not_found", e.info);
      }
      if (e.code == wire::reload_error_code::forbidden) {
        return control::make_error("access_denied", e.info);
      }
      if (e.code == wire::reload_error_code::data_too_large ||
          e.code == wire::reload_error_code::message_too_large ||
          e.code == wire::reload_error_code::response_too_large) {
        return control::make_error("too_large", e.info);
      }
      return control::make_error("peer_error", std::string(wire::to_string(e.code)) + ": " + e.info,
                                 {{"responder", e.responder.hex()}});
    default: return control::make_error("peer_error", overlay::to_string(e.failure));
  }
}
std::optional<gid_t> group_named(const std::string& name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return found->gr_gid;
}

// Whether this process may give a file it owns to `gid` (chown(2)).
bool may_chown_to(gid_t gid) {
  if (::geteuid() == 0 || ::getegid() == gid) return true;
  const int count = ::getgroups(0, nullptr);
  std::vector<gid_t> groups(static_cast<std::size_t>(std::max(count, 0)));
  if (count > 0 && ::getgroups(count, groups.data()) < 0) return false;
  return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

}  // namespace

void p2psip_daemon::open_control_socket() {
  control::control_server_config server_config;
  server_config.socket_path = paths_.control_socket.string();
  const auto& access = config_.config.control;
  if (!access.admin_group.empty()) {
    // Named on purpose: a typo must not silently leave admins locked out.
    server_config.admin_group = group_named(access.admin_group);
    if (!server_config.admin_group) {
      throw std::runtime_error("control.admin-group: no such group '" + access.admin_group + "'");
    }
  }
  auto activated = daemon::control_socket_from_systemd();
  if (!activated) throw std::runtime_error("socket activation: " + activated.error());
  if (!*activated && !access.group.empty()) {
    // The default group (p2psip) exists only where the package made it; a
    // user running p2psipd by hand keeps the socket in their own group.
    const auto gid = group_named(access.group);
    if (gid && may_chown_to(*gid)) {
      server_config.socket_group = gid;
    } else {
      // Only a group the admin named is worth a warning: the default one is
      // missing wherever the package did not create it.
      const bool named = access.group != control_config{}.group;
      logs.write(named ? log_level::warning : log_level::info,
                 "control.group '" + access.group + "' " +
                     (gid ? "is not one of this process's groups" : "does not exist") +
                     ": the control socket keeps the daemon's own group");
    }
  }
  if (*activated) {
    control_ = std::make_unique<control::control_server>(io_, **activated, server_config,
                                                         control::standard_catalog(), events_);
  } else {
    control_ = std::make_unique<control::control_server>(io_, server_config,
                                                         control::standard_catalog(), events_);
  }
  logs.write(log_level::notice, "control socket " + control_->socket_path());
  register_methods();
  open_metrics_listener();
}

// metrics.http-listen: Prometheus scrapes GET /metrics there.
void p2psip_daemon::open_metrics_listener() {
  const auto& m = config_.config.metrics;
  if (!m.http) return;
  const boost::asio::ip::tcp::endpoint at(boost::asio::ip::make_address(m.http_address),
                                          m.http_port);
  metrics_http_ = std::make_unique<control::metrics_http_server>(
      io_, control::metrics_http_config{.listen = at}, [this] {
        refresh_metrics();
        return metrics_.to_prometheus();
      });
  const auto bound = metrics_http_->endpoint();
  const std::string url = "http://" +
                          (bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string()) +
                          ":" + std::to_string(bound.port()) + "/metrics";
  logs.write(log_level::notice, "metrics on " + url);
  std::cout << "p2psipd: metrics on " << url << "\n" << std::flush;
}

void p2psip_daemon::register_methods() {
  auto& server = *control_;
  server.set_snapshot_provider([this](const std::vector<std::string>&) { return status(); });
  server.handle("node.status",
                [this](const json::object&, control::responder r) { r.result(status()); });
  server.handle("node.leave", [this](const json::object&, control::responder r) {
    r.result({{"state", "leaving"}});
    // Answer first: the leave ends with the process.
    asio::post(io_, [this] { shut_down_gracefully("node.leave"); });
  });
  server.handle("overlay.peers",
                [this](const json::object&, control::responder r) { r.result(peers()); });
  server.handle("overlay.fingers", [this](const json::object&, control::responder r) {
    const auto view = node_.topology().view();
    json::array fingers;
    for (std::size_t i = 0; i < view.fingers.size(); ++i) {
      if (!view.fingers[i]) continue;
      fingers.push_back(json::object{{"index", i}, {"node_id", view.fingers[i]->hex()}});
    }
    r.result({{"fingers", std::move(fingers)}});
  });
  server.handle("overlay.route",
                [this](const json::object& p, control::responder r) { route(p, r); });
  server.handle("overlay.attach",
                [this](const json::object& p, control::responder r) { attach(p, r); });
  server.handle("storage.put",
                [this](const json::object& p, control::responder r) { put(p, r); });
  server.handle("storage.get",
                [this](const json::object& p, control::responder r) { get(p, r); });
  server.handle("storage.watch",
                [this](const json::object& p, control::responder r) { watch(p, r); });
  server.handle("storage.unwatch",
                [this](const json::object& p, control::responder r) { unwatch(p, r); });
  server.handle("metrics.get", [this](const json::object& p, control::responder r) {
    // The relay's counters come from its thread first.
    relay_.refresh([this, p, r]() mutable {
      refresh_metrics();
      control::metrics_handler(metrics_)(p, std::move(r));
    });
  });
  server.handle("log.set_level", [](const json::object& p, control::responder r) {
    const std::string previous =
        logs.off() ? "off" : std::string(runtime::to_string(logs.level()));
    const std::string wanted(p.at("level").as_string());
    if (wanted == "off") {
      logs.set_off();
    } else {
      // trace is finer than the daemon logs; it means debug here.
      logs.set(runtime::parse_log_level(wanted == "trace" ? "debug" : wanted)
                   .value_or(log_level::info));
    }
    r.result({{"level", wanted}, {"previous", previous}});
  });
  server.handle("config.reload",
                [this](const json::object&, control::responder r) { r.result(reload()); });
  server.handle("node.enroll",
                [this](const json::object& params, control::responder r) { enroll(params, r); });
  sip_->register_methods(server);
  relay_.register_methods(server);
  server.handle("relay.find",
                [this](const json::object&, control::responder r) { find_relays(r); });
  server.handle("relay.obtain",
                [this](const json::object& p, control::responder r) { obtain_credentials(p, r); });
}

void p2psip_daemon::find_relays(const control::responder& respond) {
  if (refuse_unless_joined(respond)) return;
  turn_service_.find([respond](const std::vector<nat::found_relay>& relays) {
    const auto now = std::chrono::steady_clock::now();
    json::array list;
    for (const auto& relay : relays) {
      json::object entry{{"iteration", relay.server.iteration},
                         {"node_id", relay.node ? relay.node->hex() : std::string()},
                         {"seen_s", std::chrono::duration_cast<std::chrono::seconds>(
                                        now - relay.seen).count()}};
      const auto where = runtime::from_wire(relay.server.server_address);
      if (!where) continue;  // an address this node cannot use
      entry["address"] = where->first.to_string();
      entry["port"] = where->second;
      list.push_back(std::move(entry));
    }
    respond.result({{"relays", std::move(list)}});
  });
}

void p2psip_daemon::obtain_credentials(const json::object& params,
                                       const control::responder& respond) {
  if (refuse_unless_joined(respond)) return;
  const std::string hex(params.at("node_id").as_string());
  const auto relay = wire::node_id::from_hex(hex);
  if (!relay) {
    return respond.error(control::make_error("bad_format", "node_id is not a Node-ID in hex"));
  }
  turn_service_.request_credentials(*relay, [respond, hex](auto answer) {
    if (!answer) return respond.error(request_failed(answer.error()));
    json::array uris;
    for (const auto& candidate : answer->candidates) {
      const auto where = runtime::from_wire(candidate.addr_port);
      if (!where) continue;
      const auto at = address_text(where->first) + ":" + std::to_string(where->second);
      if (candidate.overlay_link == wire::overlay_link_type::dtls_udp_sr_no_ice) {
        uris.emplace_back("turn:" + at + "?transport=udp");
      } else if (candidate.overlay_link == wire::overlay_link_type::tls_tcp_fh_no_ice) {
        uris.emplace_back("turns:" + at + "?transport=tcp");
      }
    }
    const auto expiry = nat::turn_rest_expiry(answer->username);
    const auto now = unix_seconds();
    if (!expiry || uris.empty()) {
      return respond.error(control::make_error(
          "peer_error", "the relay's answer carries no TURN REST credentials or addresses"));
    }
    respond.result({{"relay", hex},
                    {"username", answer->username},
                    {"password", answer->password},
                    {"ttl", std::max<std::int64_t>(*expiry - now, 0)},
                    {"uris", std::move(uris)}});
  });
}

json::object certificate_status(const identity::node_certificate& cert) {
  json::array node_ids;
  for (const auto& id : cert.node_ids()) node_ids.emplace_back(id.hex());
  std::string expires;
  if (const ASN1_TIME* not_after = X509_get0_notAfter(cert.native())) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(not_after, &tm) == 1) {
      char text[32];
      std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
      expires = text;
    }
  }
  return {{"user", cert.user_name().value_or("")},
          {"node_ids", std::move(node_ids)},
          {"expires", expires},
          {"self_signed", cert.is_self_issued()}};
}

// The accounts this box holds for its phones' users (usage/phone_accounts).
json::array p2psip_daemon::accounts_status() const {
  json::array out;
  for (const auto& cert : sip_->account_certificates()) out.push_back(certificate_status(cert));
  return out;
}

json::object p2psip_daemon::status() const {
  const auto uptime = std::chrono::steady_clock::now() - started_;
  return {{"node_id", self_.hex()},
          {"state", reported_state()},
          {"overlay", config_.config.overlay.name},
          {"peers", transport_.link_count()},
          {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
          {"user", user_},
          {"certificate", certificate_status(credentials_.certificate)},
          {"renewal", renewal_ ? json::value(renewal_->status()) : json::value(nullptr)},
          {"accounts", accounts_status()},
          {"listen_port", listen_port_},
          {"sip", sip_->status()},
          {"relay", relay_.status()},
          {"ice", ice_status()},
          {"discovery", discovery_status()}};
}

json::object p2psip_daemon::ice_status() const {
  if (!ice_) return {{"enabled", false}};
  const auto& c = ice_->counters();
  // Each relay held, once (agents get it over UDP and TCP).
  json::array servers;
  for (const auto& relay : relay_pool_ ? relay_pool_->relays() : std::vector<nat::turn_relay>{}) {
    json::string at(address_text(relay.server.address()) + ":" +
                    std::to_string(relay.server.port()));
    if (std::ranges::find(servers, json::value(at)) == servers.end()) servers.push_back(at);
  }
  return {{"enabled", true},
          {"relays", relay_pool_ ? relay_pool_->held() : 0},
          {"relay_servers", std::move(servers)},
          {"agents", ice_->agents()},
          {"paths", c.paths},
          {"failures", c.failures},
          {"failovers", c.failovers},
          {"udp", !udp_blocked_ ? "unknown" : *udp_blocked_ ? "blocked" : "open"},
          {"mapping", mapping_text(mapping_independent_)}};
}

json::object p2psip_daemon::discovery_status() const {
  if (!discovery_) return {{"state", "off"}, {"interfaces", json::array()}};
  const auto status = discovery_->status();
  json::array interfaces;
  for (const auto& name : status.interfaces) interfaces.emplace_back(name);
  json::object result{{"state", status.state}, {"interfaces", std::move(interfaces)}};
  if (!status.problem.empty()) result["problem"] = status.problem;
  return result;
}

json::object p2psip_daemon::peers() const {
  const auto view = node_.topology().view();
  auto role_of = [&](const wire::node_id& id) -> std::string {
    if (std::find(view.predecessors.begin(), view.predecessors.end(), id) !=
        view.predecessors.end())
      return "predecessor";
    if (std::find(view.successors.begin(), view.successors.end(), id) != view.successors.end())
      return "successor";
    for (const auto& f : view.fingers) {
      if (f && *f == id) return "finger";
    }
    return "other";
  };
  auto links = node_.linked_peers();
  std::sort(links.begin(), links.end());
  json::array list;
  for (const auto& id : links) {
    json::object peer{{"node_id", id.hex()}, {"role", role_of(id)}};
    describe_link(id, peer);
    if (auto stats = transport_.stats(id)) {
      if (stats->smoothed_rtt) {
        peer["rtt_ms"] =
            std::chrono::duration_cast<std::chrono::milliseconds>(*stats->smoothed_rtt).count();
      }
    }
    list.push_back(std::move(peer));
  }
  return {{"peers", std::move(list)},
          {"predecessors", hex_list(view.predecessors)},
          {"successors", hex_list(view.successors)},
          {"links", hex_list(links)}};
}

void p2psip_daemon::describe_link(const wire::node_id& peer, json::object& out) const {
  const auto protocol = transport_.protocol(peer);
  if (!protocol) return;
  const bool datagram = protocol->starts_with("DTLS");
  out["transport"] = datagram ? "dtls-udp" : "tls-tcp";
  const auto pair = datagram && ice_ ? ice_->pair_with(peer) : std::nullopt;
  if (!pair) return;
  json::object described{{"local", nat::to_string(pair->local.type)},
                         {"remote", nat::to_string(pair->remote.type)}};
  if (pair->relay_server) {
    described["relay"] = address_text(pair->relay_server->address()) + ":" +
                         std::to_string(pair->relay_server->port());
  }
  out["pair"] = std::move(described);
}

void p2psip_daemon::attach(const json::object& params, control::responder respond) {
  if (refuse_unless_joined(respond)) return;
  const std::string hex(params.at("node_id").as_string());
  const auto peer = wire::node_id::from_hex(hex);
  if (!peer) {
    return respond.error(control::make_error("bad_format", "node_id is not a Node-ID in hex"));
  }
  if (*peer == self_) {
    return respond.error(control::make_error("bad_format", "node_id is this node's own"));
  }
  node_.attach({wire::destination::node(*peer)}, false, [this, respond](auto result) {
    if (!result) return respond.error(request_failed(result.error()));
    json::object out{{"node_id", result->hex()}};
    describe_link(*result, out);
    respond.result(std::move(out));
  });
}

void p2psip_daemon::route(const json::object& params, control::responder respond) {
  const std::string id(params.at("id").as_string());
  std::optional<wire::node_id> target = wire::node_id::from_hex(id);
  if (!target) {
    const auto bytes = id.size() > 2 * wire::node_id_length ? wire::from_hex(id) : std::nullopt;
    const auto resource = bytes ? wire::resource_id::from_span(*bytes) : std::nullopt;
    target = overlay::resource_key(resource ? *resource : wire::hash_resource_name(id));
  }
  if (!target) return respond.error(control::make_error("bad_format", "not an id: " + id));
  const bool responsible = node_.topology().is_responsible(*target);
  const auto next = responsible ? std::optional(self_) : node_.topology().next_hop(*target);
  if (!next)
    return respond.error(control::make_error("no_route", "no next hop towards " + target->hex()));
  respond.result(
      {{"target", target->hex()}, {"next_hop", next->hex()}, {"responsible", responsible}});
}

// Refuses requests the overlay cannot carry yet; true when it did.
bool p2psip_daemon::refuse_unless_joined(const control::responder& respond) const {
  if (node_.state() == overlay::node_state::joined) return false;
  if (node_.state() == overlay::node_state::leaving) {
    respond.error(control::make_error("leaving", "the node is leaving the overlay"));
  } else {
    respond.error(control::make_error("not_joined", "the node has not joined the overlay"));
  }
  return true;
}

bool p2psip_daemon::refuse_other_kinds(const json::object& params, const control::responder& respond) const {
  const std::string kind(params.at("kind").as_string());
  if (kind == "app-data" || kind == std::to_string(storage::app_data_kind.value)) return false;
  respond.error(control::make_error(
      "not_implemented", "the control socket stores app-data values only, not " + kind));
  return true;
}

void p2psip_daemon::put(const json::object& params, control::responder respond) {
  if (refuse_unless_joined(respond) || refuse_other_kinds(params, respond)) return;
  const auto key = parse_app_data_key(params.at("key").as_string(), user_, key_use::put);
  if (!key.entry || key.entry->empty()) {
    return respond.error(
        control::make_error("bad_format", "key must be ENTRY, /ENTRY or OWNER/ENTRY"));
  }
  auto value = decode_value(params.at("value").as_string(), params.at("encoding").as_string());
  if (!value)
    return respond.error(control::make_error(
        "bad_format", "value is not valid " + std::string(params.at("encoding").as_string())));

  wire::stored_data data;
  data.storage_time = wall_clock_ms();
  data.lifetime = static_cast<std::uint32_t>(params.at("lifetime").to_number<std::int64_t>());
  data.value.entry =
      wire::dictionary_entry{bytes_of(*key.entry), wire::data_value{true, std::move(*value)}};
  if (auto signed_ok = signer_.sign_stored_data(key.resource, storage::app_data_kind, data);
      !signed_ok) {
    return respond.error(control::make_error("internal_error", signed_ok.error().describe()));
  }
  wire::store_req request;
  request.resource = key.resource;
  request.kind_data.push_back({storage::app_data_kind, wire::generation_counter{0},
                               std::vector<wire::stored_data>{std::move(data)}});
  const std::string resource_hex = key.resource.hex();
  node_.send_request(
      {wire::destination::resource(key.resource)},
      {wire::message_code::store_req, std::move(request)},
      [respond, resource_hex](overlay::answer_result answer) {
        if (!answer) return respond.error(request_failed(answer.error()));
        const auto* stored = std::get_if<wire::store_ans>(&answer->body.value);
        if (!stored || stored->kind_responses.empty()) {
          return respond.error(control::make_error("peer_error", "unexpected answer to a Store"));
        }
        const auto& k = stored->kind_responses.front();
        respond.result({{"resource_id", resource_hex},
                        {"kind", "app-data"},
                        {"generation", k.generation.value},
                        {"replicas", k.replicas.size()}});
      });
}

void p2psip_daemon::get(const json::object& params, control::responder respond) {
  if (refuse_unless_joined(respond)) return;
  const std::string kind_name(params.at("kind").as_string());
  const auto kind = readable_kind(kind_name);
  if (!kind) {
    return respond.error(control::make_error(
        "not_implemented",
        "the control socket reads app-data and sip-inbox values only, not " + kind_name));
  }
  const auto key = parse_app_data_key(params.at("key").as_string(), user_, key_use::get);
  const std::string encoding(params.at("encoding").as_string());
  const std::string resource_hex = key.resource.hex();
  node_.send_request(
      {wire::destination::resource(key.resource)},
      {wire::message_code::fetch_req, dictionary_fetch(key, *kind)},
      [this, respond, resource_hex, encoding, kind](overlay::answer_result answer) {
        if (!answer) return respond.error(request_failed(answer.error()));
        const auto* fetched = std::get_if<wire::fetch_ans>(&answer->body.value);
        if (!fetched)
          return respond.error(control::make_error("peer_error", "unexpected answer to a Fetch"));
        auto values = dictionary_values(*fetched, encoding, *kind != storage::app_data_kind);
        if (values.empty() && node_.topology().isolated()) {
          // Only what this node holds was searched: absent here says nothing.
          return respond.error(control::make_error(
              "no_route", "this node has lost every link to its overlay and does not hold it"));
        }
        if (values.empty())
          return respond.error(control::make_error("not_found", "nothing stored under that key"));
        respond.result({{"resource_id", resource_hex},
                        {"kind", *kind == storage::app_data_kind ? "app-data" : "sip-inbox"},
                        {"values", std::move(values)}});
      });
}

void p2psip_daemon::watch(const json::object& params, control::responder respond) {
  if (refuse_unless_joined(respond) || refuse_other_kinds(params, respond)) return;
  const auto key = parse_app_data_key(params.at("key").as_string(), user_, key_use::get);
  const auto interval = std::chrono::seconds(params.at("interval").to_number<std::int64_t>());
  const auto id = watches_.add(interval, std::chrono::steady_clock::now());
  if (!id) {
    return respond.error(control::make_error(
        "too_many_watches", "this node holds " + std::to_string(storage::max_watches) +
                                " watches; end one with storage.unwatch"));
  }
  const auto client = respond.client();
  watch_targets_[*id] = {.resource = key.resource,
                         .request = dictionary_fetch(key, storage::app_data_kind),
                         .key = std::string(params.at("key").as_string()),
                         .encoding = std::string(params.at("encoding").as_string()),
                         .interval = std::max(interval, storage::min_watch_interval),
                         .client = client,
                         .first = respond};
  client.on_close([this, id = *id] {
    watches_.remove(id);
    watch_targets_.erase(id);
  });
  poll_watches();  // the first look, due at once, answers the call
}

void p2psip_daemon::unwatch(const json::object& params, control::responder respond) {
  const auto id = params.at("watch").to_number<std::uint64_t>();
  const auto it = watch_targets_.find(id);
  if (it == watch_targets_.end() || !it->second.client.same_as(respond.client())) {
    return respond.error(
        control::make_error("unknown_watch", "this connection has no watch " + std::to_string(id)));
  }
  watches_.remove(id);
  watch_targets_.erase(it);
  respond.result({{"watch", id}, {"removed", true}});
}

void p2psip_daemon::poll_watches() {
  if (node_.state() != overlay::node_state::joined) return;
  for (const auto id : watches_.due(std::chrono::steady_clock::now())) poll_watch(id);
}

void p2psip_daemon::poll_watch(std::uint64_t id) {
  const auto it = watch_targets_.find(id);
  if (it == watch_targets_.end()) return;
  const auto& target = it->second;
  node_.send_request(
      {wire::destination::resource(target.resource)},
      {wire::message_code::fetch_req, target.request}, [this, id](overlay::answer_result answer) {
        const auto it = watch_targets_.find(id);
        if (it == watch_targets_.end()) return;  // unwatched meanwhile
        auto& target = it->second;
        std::optional<storage::watched_values> seen;
        json::array values;
        if (answer) {
          if (const auto* fetched = std::get_if<wire::fetch_ans>(&answer->body.value)) {
            seen.emplace();
            for (const auto& block : fetched->kind_responses)
              if (const auto* list = std::get_if<0>(&block.values))
                seen->merge(storage::values_of(*list));
            values = dictionary_values(*fetched, target.encoding, false);
          }
        } else if (answer.error().failure == overlay::request_failure::error_response &&
                   answer.error().code == wire::reload_error_code::not_found) {
          seen.emplace();  // nothing stored is a state too
        }
        const bool changed = watches_.observed(id, seen, std::chrono::steady_clock::now());
        json::object fields{{"watch", id},
                            {"key", target.key},
                            {"resource_id", target.resource.hex()},
                            {"kind", "app-data"},
                            {"values", std::move(values)}};
        if (target.first) {
          const auto first = *std::exchange(target.first, std::nullopt);
          if (!seen) {
            watches_.remove(id);
            watch_targets_.erase(it);
            return first.error(
                answer ? control::make_error("peer_error", "unexpected answer to a Fetch")
                       : request_failed(answer.error()));
          }
          fields.erase("key");
          fields["interval_s"] = target.interval.count();
          return first.result(std::move(fields));
        }
        if (changed) target.client.notify("storage.changed", std::move(fields));
      });
}

}  // namespace p2psip::daemon
