#include "daemon/daemon_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <new>

#include <openssl/x509.h>
#include <yaml-cpp/yaml.h>

#include "daemon/config_reader.hpp"
#include "identity/atomic_file.hpp"
#include "identity/key_pair.hpp"
#include "identity/node_certificate.hpp"

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
           {"USER-MATCH", "NODE-MATCH", "USER-NODE-MATCH", "NODE-MULTIPLE"});
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
  if (!context.failed() && !overlay.self_signed_permitted && !overlay.root_cert) {
    r.fail_at("root-cert",
              "required when self-signed-permitted is false: peers are checked against it");
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
  read_log(context, section("log"), config.log);
  r.finish();
  if (!context.failed() && context.options().check_files) check_files(context, root, config);
  return config;
}

}  // namespace

std::string config_error::describe() const {
  if (line <= 0) return file + ": " + reason;
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
