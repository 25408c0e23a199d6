#include "daemon/daemon_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <new>
#include <tuple>

#include <boost/asio/ip/address.hpp>

#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include "daemon/config_reader.hpp"
#include "identity/atomic_file.hpp"
#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"
#include "nat/address_range.hpp"
#include "storage/kind_definition.hpp"

namespace p2psip::daemon {
namespace {

using detail::config_context;
using detail::mapping_reader;

constexpr std::size_t max_config_bytes = 1 << 20;
constexpr std::size_t max_pem_bytes = 1 << 20;
constexpr std::int64_t max_u32 = 0xffffffff;
constexpr std::int64_t one_day_seconds = 86400;

bool is_ipv4_literal(const std::string& text) {
  in_addr address{};
  return ::inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool is_ipv6_literal(const std::string& text) {
  in6_addr address{};
  return ::inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

bool is_ip_literal(const std::string& text) {
  return is_ipv4_literal(text) || is_ipv6_literal(text);
}

// 127.0.0.0/8 or ::1: the only SIP listeners that `auth: auto` leaves
// without digest.
bool is_loopback_literal(const std::string& text) {
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.back() == '.') name.remove_suffix(1);
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return true;
}

std::optional<std::string> refuse_unless_ip(const std::string& text) {
  if (is_ip_literal(text)) return std::nullopt;
  return "'" + text + "' is not an IPv4 or IPv6 address";
}

std::optional<std::string> refuse_unless_ipv4_multicast(const std::string& text) {
  in_addr address{};
  if (::inet_pton(AF_INET, text.c_str(), &address) == 1 &&
      (ntohl(address.s_addr) >> 28) == 0xe) {  // 224.0.0.0/4
    return std::nullopt;
  }
  return "'" + text + "' is not an IPv4 multicast address (224.0.0.0/4)";
}

std::optional<std::string> refuse_unless_interface(const std::string& text) {
  if (text.empty() || is_ipv4_literal(text)) return std::nullopt;
  const bool name_ok = text.size() < 16 && std::all_of(text.begin(), text.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                c == '_' || c == '.' || c == ':';
                       });
  if (name_ok) return std::nullopt;
  return "'" + text + "' is neither an IPv4 address nor an interface name";
}

std::optional<std::string> refuse_unless_nonempty(const std::string& text) {
  if (!text.empty()) return std::nullopt;
  return "must not be empty";
}

// "alice@office.example", optionally with sip: in front.
std::optional<std::string> refuse_unless_aor(const std::string& text) {
  std::string_view t(text);
  if (t.starts_with("sip:")) t.remove_prefix(4);
  const auto at = t.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == t.size() ||
      t.find_first_of(" ;<>@", at + 1) != std::string_view::npos) {
    return "not an address of record like alice@office.example";
  }
  return std::nullopt;
}

std::optional<std::string> refuse_unless_https_url(const std::string& text) {
  constexpr std::string_view scheme = "https://";
  if (text.starts_with(scheme) && text.size() > scheme.size() && text[scheme.size()] != '/') {
    return std::nullopt;
  }
  return "'" + text + "' is not an https:// URL (RFC 6940 §11.1)";
}

// "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal.
std::optional<host_port> parse_host_port(const std::string& text) {
  host_port out;
  std::string port_text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = text.substr(1, close - 1);
    if (!is_ipv6_literal(out.host)) return std::nullopt;
    const std::string rest = text.substr(close + 1);
    if (!rest.empty() && (!rest.starts_with(':') || rest.size() == 1)) return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    if (!is_ipv6_literal(text)) return std::nullopt;
    out.host = text;
  } else {
    const std::size_t colon = text.find(':');
    out.host = text.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
    if (!is_ipv4_literal(out.host) && !is_dns_name(out.host)) return std::nullopt;
  }
  if (!port_text.empty()) {
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), is_digit)) {
      return std::nullopt;
    }
    const unsigned long port = std::stoul(port_text);
    if (port == 0 || port > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::optional<std::string> refuse_unless_host_port(const std::string& text) {
  if (parse_host_port(text)) return std::nullopt;
  return "'" + text + "' is not HOST, HOST:PORT or [IPv6]:PORT with a port of 1..65535";
}

std::optional<std::string> refuse_unless_node_id(const std::string& text) {
  if (wire::node_id::from_hex(text)) return std::nullopt;
  return "'" + text + "' is not a Node-ID of " + std::to_string(2 * wire::node_id_length) +
         " hex digits";
}

// Kinds may be named by their IANA name (RFC 6940 §14.6, RFC 7904) or by id.
std::optional<std::uint32_t> well_known_kind(std::string_view name) {
  if (name == "SIP-REGISTRATION") return 1;
  if (name == "TURN-SERVICE") return 2;
  if (name == "CERTIFICATE_BY_NODE") return 3;
  if (name == "CERTIFICATE_BY_USER") return 16;
  if (name == "SIP-INBOX") return storage::sip_inbox_kind.value;  // p2psip's own
  return std::nullopt;
}

void read_kind(config_context& context, const YAML::Node& node, const std::string& path,
               kind_config& kind) {
  mapping_reader r(context, node, path);
  r.require("id");
  r.require("data-model");
  r.require("access-control");
  r.require("max-count");
  r.require("max-size");
  const auto id = r.child("id");
  if (auto named = well_known_kind(id && id->IsScalar() ? id->Scalar() : "")) {
    kind.id = wire::kind_id{*named};
  } else {
    std::uint32_t number = 0;
    r.integer("id", number, 1, max_u32);
    kind.id = wire::kind_id{number};
  }
  std::size_t model = 0;
  r.choice("data-model", model, {"SINGLE", "ARRAY", "DICTIONARY"});
  kind.data_model = static_cast<kind_data_model>(model);
  std::size_t policy = 0;
  r.choice("access-control", policy,
           {"USER-MATCH", "NODE-MATCH", "USER-NODE-MATCH", "NODE-MULTIPLE", "INBOX"});
  kind.access_control = static_cast<kind_access_control>(policy);
  r.integer("max-count", kind.max_count, 1, max_u32);
  r.integer("max-size", kind.max_size, 1, max_u32);
  std::uint32_t multiple = 0;
  r.integer("max-node-multiple", multiple, 1, max_u32);
  r.finish();
  const bool node_multiple = kind.access_control == kind_access_control::node_multiple;
  if (!context.failed() && node_multiple && !r.has("max-node-multiple")) {
    r.fail_at("max-node-multiple", "required when access-control is NODE-MULTIPLE");
  } else if (!context.failed() && !node_multiple && r.has("max-node-multiple")) {
    r.fail_at("max-node-multiple", "only allowed when access-control is NODE-MULTIPLE");
  }
  if (node_multiple) kind.max_node_multiple = multiple;
}

void read_kinds(config_context& context, mapping_reader& overlay, std::vector<kind_config>& kinds) {
  auto list = overlay.child("kinds");
  if (!list || list->IsNull() || context.failed()) return;
  if (!list->IsSequence()) {
    return context.fail(list->Mark(), "overlay.kinds: expected a list of kind mappings");
  }
  for (std::size_t i = 0; i < list->size() && !context.failed(); ++i) {
    const std::string path = "overlay.kinds[" + std::to_string(i) + "]";
    kind_config kind;
    read_kind(context, (*list)[i], path, kind);
    const bool repeated = std::any_of(kinds.begin(), kinds.end(),
                                      [&](const kind_config& k) { return k.id == kind.id; });
    if (!context.failed() && repeated) {
      context.fail((*list)[i].Mark(),
                   path + ": kind " + std::to_string(kind.id.value) + " is defined twice");
    }
    kinds.push_back(kind);
  }
}

void read_overlay(config_context& context, const YAML::Node& node, overlay_config& overlay) {
  mapping_reader r(context, node, "overlay");
  r.require("name");
  r.checked_string("name", overlay.name, [](const std::string& name) -> std::optional<std::string> {
    if (is_dns_name(name)) return std::nullopt;
    return "'" + name + "' is not a DNS-style overlay name (RFC 6940 §11.1 instance-name)";
  });
  std::vector<std::string> bootstrap;
  r.string_list("bootstrap-nodes", bootstrap, refuse_unless_host_port);
  for (const auto& text : bootstrap) overlay.bootstrap_nodes.push_back(*parse_host_port(text));
  r.boolean("self-signed-permitted", overlay.self_signed_permitted);
  std::size_t digest = static_cast<std::size_t>(overlay.digest);
  r.choice("self-signed-digest", digest, {"sha1", "sha256"});
  overlay.digest = static_cast<self_signed_digest>(digest);
  std::string enrollment;
  r.checked_string("enrollment-server", enrollment, refuse_unless_https_url);
  if (!enrollment.empty()) overlay.enrollment_server = enrollment;
  r.path("root-cert", overlay.root_cert);
  std::string configuration_url;
  r.checked_string("configuration-url", configuration_url, refuse_unless_https_url);
  if (!configuration_url.empty()) overlay.configuration_url = configuration_url;
  r.integer("turn-density", overlay.turn_density, 0, 65535);
  r.boolean("clients-permitted", overlay.clients_permitted);
  r.boolean("no-ice", overlay.no_ice);
  // 512 leaves room for a forwarding header with a few hops; 2^24-1 is the
  // most a FramedMessage can carry (§6.6.2).
  r.integer("max-message-size", overlay.max_message_size, 512, (1 << 24) - 1);
  r.integer("initial-ttl", overlay.initial_ttl, 1, 255);
  std::int64_t reliability_ms = overlay.overlay_reliability_timer.count();
  r.integer("overlay-reliability-timer", reliability_ms, 200, 600000);  // §11.1: at least 200
  overlay.overlay_reliability_timer = std::chrono::milliseconds(reliability_ms);
  std::int64_t update_s = overlay.chord_update_interval.count();
  r.integer("chord-update-interval", update_s, 1, one_day_seconds);
  overlay.chord_update_interval = std::chrono::seconds(update_s);
  std::int64_t ping_s = overlay.chord_ping_interval.count();
  r.integer("chord-ping-interval", ping_s, 1, one_day_seconds);
  overlay.chord_ping_interval = std::chrono::seconds(ping_s);
  r.boolean("chord-reactive", overlay.chord_reactive);
  std::vector<std::string> bad_nodes;
  r.string_list("bad-nodes", bad_nodes, refuse_unless_node_id);
  for (const auto& hex : bad_nodes) overlay.bad_nodes.push_back(*wire::node_id::from_hex(hex));
  read_kinds(context, r, overlay.kinds);
  // Unknown keys first: a misspelt key is the likeliest cause of what follows.
  r.finish();
  if (!context.failed() && overlay.configuration_url && !fetches_configuration(overlay)) {
    r.fail_at("configuration-url",
              "only for an overlay whose configuration is fetched: drop root-cert and "
              "self-signed-permitted, which the document sets");
  }
}

void read_node(config_context& context, const YAML::Node& node, node_config& out) {
  mapping_reader r(context, node, "node");
  r.checked_string("listen-address", out.listen_address, refuse_unless_ip);
  r.integer("listen-port", out.listen_port, 0, 65535);
  r.path("state-dir", out.state_dir);
  r.path("identity-key", out.identity_key);
  r.path("identity-certificate", out.identity_certificate);
  r.finish();
  if (!context.failed() && out.identity_key.has_value() != out.identity_certificate.has_value()) {
    r.fail_at(out.identity_key ? "identity-key" : "identity-certificate",
              "identity-key and identity-certificate go together");
  }
}

void read_discovery(config_context& context, const YAML::Node& node, discovery_config& out) {
  mapping_reader r(context, node, "discovery");
  r.boolean("enabled", out.enabled);
  r.checked_string("group", out.group, refuse_unless_ipv4_multicast);
  r.integer("port", out.port, 1, 65535);
  std::int64_t interval_s = out.interval.count();
  r.integer("interval", interval_s, 1, 3600);
  out.interval = std::chrono::seconds(interval_s);
  r.checked_string("interface", out.interface, refuse_unless_interface);
  r.integer("ttl", out.ttl, 1, 255);
  r.finish();
}

void read_sip(config_context& context, const YAML::Node& node, sip_config& out) {
  mapping_reader r(context, node, "sip");
  r.boolean("enabled", out.enabled);
  r.checked_string("listen-address", out.listen_address, refuse_unless_ip);
  r.integer("listen-port", out.listen_port, 0, 65535);
  r.boolean("udp", out.udp);
  r.boolean("tcp", out.tcp);
  r.string_list("users", out.users, refuse_unless_aor);
  r.string_list("domains", out.domains, refuse_unless_nonempty);
  std::size_t auth = static_cast<std::size_t>(out.auth);
  r.choice("auth", auth, {"auto", "always", "never"});
  out.auth = static_cast<sip_auth_mode>(auth);
  r.path("auth-file", out.auth_file);
  r.string("realm", out.realm);
  std::int64_t offline_s = out.offline_lifetime.count();
  r.integer("offline-lifetime", offline_s, 0, 30 * 24 * 3600);
  out.offline_lifetime = std::chrono::seconds(offline_s);
  r.finish();
  if (!context.failed() && out.enabled && out.auth == sip_auth_mode::always && !out.auth_file) {
    r.fail_at("auth", "digest authentication needs auth-file");
  }
  // auth: auto turns digest on for a listener other softphones can reach.
  if (!context.failed() && out.enabled && out.auth == sip_auth_mode::automatic &&
      !is_loopback_literal(out.listen_address) && !out.auth_file) {
    r.fail_at("listen-address", "'" + out.listen_address +
                                    "' is not loopback, so digest authentication is on "
                                    "(auth: auto) and needs auth-file; or set auth: never");
  }
  if (!context.failed() && out.enabled && !out.udp && !out.tcp) {
    r.fail_at("udp", "SIP is enabled but neither udp nor tcp is");
  }
}

void read_control(config_context& context, const YAML::Node& node, control_config& out) {
  mapping_reader r(context, node, "control");
  r.path("socket", out.socket);
  r.checked_string("group", out.group, refuse_unless_nonempty);
  r.string("admin-group", out.admin_group);
  r.finish();
}

// "PORT" (on 127.0.0.1), "ADDRESS:PORT" or "[IPv6]:PORT"; nullopt when not.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  std::string host = colon == std::string::npos ? "127.0.0.1" : text.substr(0, colon);
  const std::string port = colon == std::string::npos ? text : text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(port) > 65535 || !is_ip_literal(host)) {
    return std::nullopt;
  }
  return std::pair{host, static_cast<std::uint16_t>(std::stoul(port))};
}

std::optional<std::string> refuse_unless_listen(const std::string& text) {
  if (parse_listen(text)) return std::nullopt;
  return "'" + text + "' is not PORT, ADDRESS:PORT or [IPv6]:PORT with an IP address";
}

void read_metrics(config_context& context, const YAML::Node& node, metrics_config& out) {
  mapping_reader r(context, node, "metrics");
  std::string listen;
  r.checked_string("http-listen", listen, refuse_unless_listen);
  r.finish();
  if (const auto parsed = parse_listen(listen)) {
    out.http = true;
    out.http_address = parsed->first;
    out.http_port = parsed->second;
  }
}

std::optional<std::string> refuse_unless_cidr(const std::string& text) {
  if (nat::address_range::parse(text)) return std::nullopt;
  return "'" + text + "' is not an address or CIDR block like 10.0.0.0/8 or 2001:db8::/32";
}

// "LOW-HIGH", ports 1..65535 with LOW <= HIGH.
std::optional<std::pair<std::uint16_t, std::uint16_t>> parse_port_range(const std::string& text) {
  const auto dash = text.find('-');
  if (dash == std::string::npos) return std::nullopt;
  const auto number = [](std::string_view digits) -> std::optional<unsigned long> {
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoul(std::string(digits));
  };
  const auto low = number(std::string_view(text).substr(0, dash));
  const auto high = number(std::string_view(text).substr(dash + 1));
  if (!low || !high || *low == 0 || *high > 65535 || *low > *high) return std::nullopt;
  return std::pair{static_cast<std::uint16_t>(*low), static_cast<std::uint16_t>(*high)};
}

std::optional<std::string> refuse_unless_port_range(const std::string& text) {
  if (parse_port_range(text)) return std::nullopt;
  return "'" + text + "' is not a port range LOW-HIGH with 1 <= LOW <= HIGH <= 65535";
}

bool is_unspecified_literal(const std::string& text) {
  return is_ip_literal(text) && boost::asio::ip::make_address(text).is_unspecified();
}

void read_relay(config_context& context, const YAML::Node& node, const node_config& node_section,
                relay_config& out) {
  mapping_reader r(context, node, "relay");
  std::size_t mode = static_cast<std::size_t>(out.mode);
  r.choice("mode", mode, {"auto", "on", "off"});
  out.mode = static_cast<relay_mode>(mode);
  r.integer("port", out.port, 0, 65535);
  r.integer("tls-port", out.tls_port, 0, 65535);
  r.checked_string("address", out.address, refuse_unless_ip);
  std::string ports;
  r.checked_string("relay-ports", ports, refuse_unless_port_range);
  if (auto range = parse_port_range(ports))
    std::tie(out.relay_port_min, out.relay_port_max) = *range;
  r.boolean("allow-loopback-peers", out.allow_loopback_peers);
  r.string_list("deny", out.deny, refuse_unless_cidr);
  r.string_list("allow", out.allow, refuse_unless_cidr);
  r.integer("max-allocations", out.max_allocations, 1, 1000000);
  r.integer("max-allocations-per-user", out.max_allocations_per_user, 1, 1000000);
  r.integer("bandwidth", out.bandwidth, 0, std::int64_t{1} << 40);
  std::int64_t ttl_s = out.credential_ttl.count();
  r.integer("credential-ttl", ttl_s, 60, 7 * one_day_seconds);
  out.credential_ttl = std::chrono::seconds(ttl_s);
  r.finish();
  if (context.failed()) return;
  if (out.port != 0 && out.port == out.tls_port) {
    return r.fail_at("tls-port", "must differ from port: TCP listens there too");
  }
  if (out.max_allocations_per_user > out.max_allocations) {
    return r.fail_at("max-allocations-per-user", "is more than max-allocations");
  }
  const std::string& address = out.address.empty() ? node_section.listen_address : out.address;
  if (out.mode == relay_mode::on && is_unspecified_literal(address)) {
    r.fail_at(out.address.empty() ? "mode" : "address",
              "the relay needs one address to relay from and to name in XOR-RELAYED-ADDRESS, "
              "not '" +
                  address + "'" +
                  (out.address.empty() ? " (node.listen-address): set relay.address" : ""));
  }
}

void read_media(config_context& context, const YAML::Node& node, media_config& out) {
  mapping_reader r(context, node, "media");
  std::size_t anchor = static_cast<std::size_t>(out.anchor);
  r.choice("anchor", anchor, {"always", "nat", "never"});
  out.anchor = static_cast<media_anchor_mode>(anchor);
  r.checked_string("address", out.address, refuse_unless_ip);
  std::string ports;
  r.checked_string("ports", ports, refuse_unless_port_range);
  if (auto range = parse_port_range(ports)) std::tie(out.port_min, out.port_max) = *range;
  std::int64_t inactivity = out.inactivity.count();
  r.integer("inactivity", inactivity, 5, 3600);
  out.inactivity = std::chrono::seconds(inactivity);
  r.finish();
  if (!context.failed() && !out.address.empty() && is_unspecified_literal(out.address)) {
    r.fail_at("address", "phones must be told one address, not '" + out.address + "'");
  }
  if (!context.failed() && out.port_min != 0 && out.port_min + out.port_min % 2 >= out.port_max) {
    r.fail_at("ports", "needs room for an even RTP port and the RTCP port above it");
  }
}

void read_log(config_context& context, const YAML::Node& node, log_level& out) {
  mapping_reader r(context, node, "log");
  std::size_t level = static_cast<std::size_t>(out);
  r.choice("level", level, {"debug", "info", "notice", "warning", "error"});
  out = static_cast<log_level>(level);
  r.finish();
}

// The position of `section.key` in the document, for errors found after
// parsing (file checks). Falls back to the document start.
YAML::Mark mark_of(const YAML::Node& root, std::string_view section, std::string_view key) {
  if (!root.IsMap() || !root[std::string(section)].IsMap()) return YAML::Mark();
  const YAML::Node value = root[std::string(section)][std::string(key)];
  return value ? value.Mark() : YAML::Mark();
}

void check_certificate_file(config_context& context, const YAML::Mark& mark, const std::string& key,
                            const std::filesystem::path& path) {
  auto pem = identity::read_file(path, max_pem_bytes);
  if (!pem) return context.fail(mark, key + ": " + pem.error().detail);
  if (!identity::node_certificate::all_from_pem(*pem)) {
    context.fail(mark, key + ": " + path.string() + " holds no PEM X.509 certificate");
  }
}

void check_files(config_context& context, const YAML::Node& root, const daemon_config& config) {
  if (const auto& root_cert = config.overlay.root_cert) {
    check_certificate_file(context, mark_of(root, "overlay", "root-cert"), "overlay.root-cert",
                           *root_cert);
  }
  if (!config.node.identity_key || context.failed()) return;
  const YAML::Mark cert_mark = mark_of(root, "node", "identity-certificate");
  check_certificate_file(context, cert_mark, "node.identity-certificate",
                         *config.node.identity_certificate);
  const YAML::Mark key_mark = mark_of(root, "node", "identity-key");
  auto key_pem = identity::read_secret_file(*config.node.identity_key, max_pem_bytes);
  if (!key_pem) return context.fail(key_mark, "node.identity-key: " + key_pem.error().detail);
  auto key = identity::key_pair::from_pem(*key_pem);
  if (!key) {
    return context.fail(key_mark, "node.identity-key: " + config.node.identity_key->string() +
                                      " holds no usable PEM private key");
  }
  if (context.failed()) return;
  auto cert = identity::node_certificate::load(*config.node.identity_certificate);
  if (cert && X509_check_private_key(cert->native(), key->native()) != 1) {
    context.fail(cert_mark, "node.identity-certificate: not the certificate of node.identity-key");
  }
}

daemon_config read_document(config_context& context, const YAML::Node& root) {
  daemon_config config;
  mapping_reader r(context, root, "");
  r.require("overlay");
  // Sections absent from the document keep their defaults.
  const auto section = [&](std::string_view key) { return r.child(key).value_or(YAML::Node()); };
  // Without it, report the missing section rather than its missing name.
  if (r.has("overlay")) read_overlay(context, section("overlay"), config.overlay);
  read_node(context, section("node"), config.node);
  read_discovery(context, section("discovery"), config.discovery);
  read_sip(context, section("sip"), config.sip);
  read_control(context, section("control"), config.control);
  read_metrics(context, section("metrics"), config.metrics);
  read_relay(context, section("relay"), config.node, config.relay);
  read_media(context, section("media"), config.media);
  read_log(context, section("log"), config.log);
  r.finish();
  if (!context.failed() && context.options().check_files) check_files(context, root, config);
  return config;
}

}  // namespace

bool is_public_ipv4(std::string_view text) {
  in_addr v4{};
  if (::inet_pton(AF_INET, std::string(text).c_str(), &v4) != 1) return false;
  const std::uint32_t a = ntohl(v4.s_addr);
  const auto in = [a](std::uint32_t network, unsigned prefix) {
    return (a >> (32 - prefix)) == (network >> (32 - prefix));
  };
  return !(in(0x00000000, 8)       // 0.0.0.0/8 "this network"
           || in(0x0a000000, 8)    // 10/8 private
           || in(0x64400000, 10)   // 100.64/10 shared (carrier-grade NAT)
           || in(0x7f000000, 8)    // loopback
           || in(0xa9fe0000, 16)   // 169.254/16 link-local
           || in(0xac100000, 12)   // 172.16/12 private
           || in(0xc0000000, 24)   // 192.0.0/24 IETF protocol assignments
           || in(0xc0000200, 24)   // 192.0.2/24 TEST-NET-1
           || in(0xc0a80000, 16)   // 192.168/16 private
           || in(0xc6120000, 15)   // 198.18/15 benchmarking
           || in(0xc6336400, 24)   // 198.51.100/24 TEST-NET-2
           || in(0xcb007100, 24)   // 203.0.113/24 TEST-NET-3
           || in(0xe0000000, 4)    // multicast
           || in(0xf0000000, 4));  // reserved and broadcast
}

relay_choice choose_relay(const daemon_config& config) {
  const auto& relay = config.relay;
  relay_choice choice;
  choice.address = relay.address.empty() ? config.node.listen_address : relay.address;
  const std::string source = relay.address.empty() ? "node.listen-address" : "relay.address";
  switch (relay.mode) {
    case relay_mode::on:
      choice.on = true;
      choice.why = "relay.mode is on";
      break;
    case relay_mode::off: choice.why = "relay.mode is off"; break;
    case relay_mode::automatic:
      choice.on = is_public_ipv4(choice.address);
      choice.why = "relay.mode is auto and " + source + " " + choice.address +
                   (choice.on ? " is a public IPv4 address"
                              : " is not a public IPv4 address (RFC 6940 §9: a node behind NAT "
                                "or with only private addresses is unsuitable); set relay.mode: "
                                "on to relay anyway");
      break;
  }
  return choice;
}

std::string config_error::describe() const {
  if (line <= 0) return file + ": " + reason;
  if (column <= 0) return file + ":" + std::to_string(line) + ": " + reason;  // XML: lines only
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + reason;
}

config_result<daemon_config> parse_config(std::string_view yaml_text, std::string_view source_name,
                                          const parse_options& options) {
  const std::string source(source_name);
  try {
    config_context context(source, options);
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::ParserException& e) {
      context.fail(e.mark, "invalid YAML: " + e.msg);
      return context.error();
    }
    daemon_config config = read_document(context, root);
    if (context.failed()) return context.error();
    return config;
  } catch (const YAML::Exception& e) {
    // A construct the reader did not foresee (e.g. a bad conversion deep in
    // yaml-cpp): still an error with a position, never an escaping exception.
    return config_error{source, e.mark.is_null() ? 0 : e.mark.line + 1,
                        e.mark.is_null() ? 0 : e.mark.column + 1, "invalid YAML: " + e.msg};
  } catch (const std::bad_alloc&) {
    return config_error{source, 0, 0, "out of memory while reading the configuration"};
  } catch (const std::exception& e) {
    return config_error{source, 0, 0, std::string("cannot read the configuration: ") + e.what()};
  }
}

config_result<daemon_config> load_config_file(const std::filesystem::path& path) {
  auto text = identity::read_file(path, max_config_bytes);
  if (!text) return config_error{path.string(), 0, 0, text.error().detail};
  parse_options options;
  std::error_code ignored;  // on failure the relative directory still works
  options.base_dir = std::filesystem::absolute(path, ignored).parent_path();
  if (options.base_dir.empty()) options.base_dir = path.parent_path();
  return parse_config(*text, path.string(), options);
}

config_result<daemon_config> load_embedded_default() {
  return parse_config(embedded_default_yaml(), embedded_default_name, parse_options{});
}

}  // namespace p2psip::daemon
