// p2psipd's configuration: the typed tree the daemon runs on and the YAML
// parser that builds it (p2psipd.yaml(5)). The overlay section mirrors the
// RFC 6940 §11.1 configuration document, key for key, with its defaults.
//
// Parsing never throws: a bad file yields a config_error that names the file,
// the line and column of the offending node, and the reason, so an operator
// can fix it without reading the source.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/logger.hpp"
#include "usage/sip_usage_config.hpp"
#include "wire/basic_result.hpp"
#include "wire/ids.hpp"

namespace p2psip::daemon {

// RFC 6940 §11.1 and §10.7.4 defaults, and the product's well-known ports.
inline constexpr std::uint16_t default_overlay_port = 6084;
inline constexpr std::uint16_t default_discovery_port = 6085;
inline constexpr const char* default_discovery_group = "239.192.0.84";
// RFC 5766 §4 / RFC 5389 §9: STUN and TURN on 3478 (UDP and TCP), over TLS on 5349.
inline constexpr std::uint16_t default_relay_port = 3478;
inline constexpr std::uint16_t default_relay_tls_port = 5349;

enum class self_signed_digest { sha1, sha256 };
enum class kind_data_model { single_value, array, dictionary };
enum class kind_access_control { user_match, node_match, user_node_match, node_multiple, inbox };
// The log level is the process logger's (runtime/logger.hpp).
using runtime::log_level;
using runtime::parse_log_level;
// The sip section is the SIP usage's own settings (usage/sip_usage_config.hpp).
using usage::default_sip_port;
using usage::sip_auth_mode;
using usage::sip_config;

// A host (IP literal or DNS name, resolved when dialled) and a port.
struct host_port {
  std::string host;
  std::uint16_t port = default_overlay_port;
  friend bool operator==(const host_port&, const host_port&) = default;
};

// One <kind> of §11.1's required-kinds.
struct kind_config {
  wire::kind_id id;
  kind_data_model data_model = kind_data_model::single_value;
  kind_access_control access_control = kind_access_control::user_match;
  std::uint32_t max_count = 1;
  std::uint32_t max_size = 1;
  std::optional<std::uint32_t> max_node_multiple;  // present iff NODE-MULTIPLE
  friend bool operator==(const kind_config&, const kind_config&) = default;
};

struct overlay_config {
  std::string name;  // §11.1 instance-name
  std::vector<host_port> bootstrap_nodes;
  bool self_signed_permitted = false;
  self_signed_digest digest = self_signed_digest::sha256;
  std::optional<std::string> enrollment_server;    // https:// URL
  std::optional<std::filesystem::path> root_cert;  // PEM, one or more certificates
  // Where the §11.1 document is fetched when this section gives no trust
  // anchor (fetches_configuration); else https://NAME/.well-known/reload-config.
  std::optional<std::string> configuration_url;
  std::uint32_t turn_density = 1;
  bool clients_permitted = true;
  // No-ICE (direct TLS over TCP) until ICE overlays (false: DTLS-UDP-SR
  // over libnice, lib/nat's ice_transport) pass the NAT lab in full: see
  // p2psipd.yaml(5).
  bool no_ice = false;
  std::uint32_t max_message_size = 5000;
  std::uint8_t initial_ttl = 100;
  std::chrono::milliseconds overlay_reliability_timer{3000};
  std::chrono::seconds chord_update_interval{600};
  std::chrono::seconds chord_ping_interval{3600};
  bool chord_reactive = true;
  std::vector<wire::node_id> bad_nodes;
  std::vector<kind_config> kinds;
  friend bool operator==(const overlay_config&, const overlay_config&) = default;
};

struct node_config {
  std::string listen_address = "0.0.0.0";
  std::uint16_t listen_port = default_overlay_port;
  std::optional<std::filesystem::path> state_dir;
  // A pre-provisioned identity; both or neither. Without one the daemon
  // makes (self-signed) or enrolls one and keeps it in the state directory.
  std::optional<std::filesystem::path> identity_key;
  std::optional<std::filesystem::path> identity_certificate;
  friend bool operator==(const node_config&, const node_config&) = default;
};

struct discovery_config {
  bool enabled = true;
  std::string group = default_discovery_group;
  std::uint16_t port = default_discovery_port;
  std::chrono::seconds interval{10};
  std::string interface;  // IPv4 address or interface name; empty: the kernel's choice
  std::uint8_t ttl = 1;
  friend bool operator==(const discovery_config&, const discovery_config&) = default;
};

struct control_config {
  std::optional<std::filesystem::path> socket;  // else state_paths decides
  std::string group = "p2psip";                 // may call read-only methods
  std::string admin_group;                      // may change state; empty: root only
  friend bool operator==(const control_config&, const control_config&) = default;
};

// metrics.* keys: the optional Prometheus scrape endpoint, off by default.
struct metrics_config {
  bool http = false;  // metrics.http-listen was given
  std::string http_address = "127.0.0.1";
  std::uint16_t http_port = 0;  // 0: ephemeral
  friend bool operator==(const metrics_config&, const metrics_config&) = default;
};

// auto: on only where the relay address is public (relay_choice below).
enum class relay_mode { automatic, on, off };

// The STUN/TURN server (lib/nat), relay.* keys.
struct relay_config {
  relay_mode mode = relay_mode::automatic;
  std::uint16_t port = default_relay_port;          // UDP and TCP; 0: ephemeral
  std::uint16_t tls_port = default_relay_tls_port;  // 0: ephemeral
  std::string address;  // listen and relay address; empty: node.listen-address
  std::uint16_t relay_port_min = 49152;
  std::uint16_t relay_port_max = 65535;
  bool allow_loopback_peers = false;
  std::vector<std::string> deny;   // CIDR blocks, checked by the parser
  std::vector<std::string> allow;
  std::uint32_t max_allocations = 1000;
  std::uint32_t max_allocations_per_user = 8;
  std::uint64_t bandwidth = 0;  // bytes/s each way per allocation; 0: unlimited
  std::chrono::seconds credential_ttl{86400};
  friend bool operator==(const relay_config&, const relay_config&) = default;
};

// media.anchor (lib/media/media_anchor.hpp): which calls' media this daemon
// anchors.
enum class media_anchor_mode { always, nat, never };

// Media anchored in the daemons, media.* keys.
struct media_config {
  media_anchor_mode anchor = media_anchor_mode::always;
  // Where the phone-facing RTP ports listen and what phones are told; empty:
  // sip.listen-address when it names one address, else 127.0.0.1.
  std::string address;
  std::uint16_t port_min = 0;  // both 0: ephemeral ports
  std::uint16_t port_max = 0;
  std::chrono::seconds inactivity{30};
  friend bool operator==(const media_config&, const media_config&) = default;
};

struct daemon_config {
  overlay_config overlay;
  node_config node;
  discovery_config discovery;
  sip_config sip;
  control_config control;
  metrics_config metrics;
  relay_config relay;
  media_config media;
  log_level log = log_level::info;
  friend bool operator==(const daemon_config&, const daemon_config&) = default;
};

// An overlay section with neither a root-cert nor self-signed permission
// names an overlay whose parameters come from its configuration server
// (RFC 6940 §11.2); the rest of the section is replaced by the document.
inline bool fetches_configuration(const overlay_config& overlay) {
  return !overlay.self_signed_permitted && !overlay.root_cert;
}

// "FILE:LINE:COL: reason", "FILE:LINE: reason" where only the line is known
// (the XML configuration document), or "FILE: reason" when no position
// applies (an unreadable file). Line and column are 1-based, as editors count.
struct config_error {
  std::string file;
  int line = 0;
  int column = 0;
  std::string reason;

  std::string describe() const;
};

template <class T>
using config_result = wire::basic_result<T, config_error>;

struct parse_options {
  // Relative paths in the document are taken relative to this directory
  // (the configuration file's own), so a config and its certificates move
  // together.
  std::filesystem::path base_dir;
  // Whether certificate and key files are opened and parsed now. --check-config
  // and startup want it; only tools that inspect a config elsewhere do not.
  bool check_files = true;
};

// Whether the relay runs, on which address, and why (logged at notice).
struct relay_choice {
  bool on = false;
  std::string address;  // relay.address, else node.listen-address
  std::string why;
};
// relay.mode on and off are obeyed; auto (RFC 6940 §9: a node behind NAT or
// with only private addresses is unsuitable) is on only for a public IPv4
// address: not private, shared (100.64/10), loopback, link-local,
// unspecified, multicast or reserved.
relay_choice choose_relay(const daemon_config& config);
bool is_public_ipv4(std::string_view address);

// `source_name` is what errors call the document (a path, "<embedded default>").
config_result<daemon_config> parse_config(std::string_view yaml_text, std::string_view source_name,
                                          const parse_options& options);

// Reads at most 1 MiB from `path`; relative paths resolve against its directory.
config_result<daemon_config> load_config_file(const std::filesystem::path& path);

// The ad hoc configuration compiled into the daemon (config/adhoc.yaml), used
// when no file is given: self-signed identities, LAN discovery, SIP on loopback.
std::string_view embedded_default_yaml() noexcept;
inline constexpr std::string_view embedded_default_name = "<embedded default>";
config_result<daemon_config> load_embedded_default();

}  // namespace p2psip::daemon
