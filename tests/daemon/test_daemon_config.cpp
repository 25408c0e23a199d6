// daemon_config: the embedded default and the shipped examples parse, and
// every kind of mistake is refused with its exact FILE:LINE:COL and reason.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "daemon/daemon_config.hpp"
#include "scoped_files.hpp"
#include "identity/key_pair.hpp"
#include "identity/self_signed.hpp"

namespace fs = std::filesystem;
using namespace p2psip::daemon;
using p2psip::test::temp_dir;

namespace {

// The error text for `yaml` parsed as "test.yaml" (files checked against `base`).
std::string error_of(const std::string& yaml, const fs::path& base = {}) {
  parse_options options;
  options.base_dir = base;
  auto parsed = parse_config(yaml, "test.yaml", options);
  REQUIRE_FALSE(parsed.has_value());
  return parsed.error().describe();
}

daemon_config parse_ok(const std::string& yaml, const fs::path& base = {}) {
  parse_options options;
  options.base_dir = base;
  auto parsed = parse_config(yaml, "test.yaml", options);
  if (!parsed) FAIL(parsed.error().describe());
  return *parsed;
}

// A minimal valid document, so each error test adds only its own mistake.
const std::string adhoc_head =
    "overlay:\n"
    "  name: test.example\n"
    "  self-signed-permitted: true\n";

fs::path source_config(const char* name) {
  const char* dir = std::getenv("P2PSIP_CONFIG_DIR");
  REQUIRE(dir != nullptr);
  return fs::path(dir) / name;
}

// A self-signed key and certificate, as an enrolled node would have them.
void write_identity(const fs::path& key_path, const fs::path& cert_path) {
  auto key = p2psip::identity::key_pair::generate();
  REQUIRE(key);
  p2psip::identity::self_signed_request request;
  request.overlay = "test.example";
  request.user_name = "alice@test.example";
  auto cert = p2psip::identity::make_self_signed_certificate(*key, request,
                                                             std::chrono::system_clock::now());
  REQUIRE(cert);
  REQUIRE(key->save(key_path));
  REQUIRE(cert->save(cert_path));
}

}  // namespace

TEST_CASE("the embedded default is the ad hoc configuration") {
  auto config = load_embedded_default();
  if (!config) FAIL(config.error().describe());
  CHECK(config->overlay.name == "adhoc.p2psip.local");
  CHECK(config->overlay.self_signed_permitted);
  CHECK_FALSE(config->overlay.root_cert);
  CHECK(config->discovery.enabled);
  CHECK(config->discovery.group == "239.192.0.84");
  CHECK(config->discovery.port == 6085);
  CHECK(config->discovery.ttl == 1);
  CHECK(config->sip.enabled);
  CHECK(config->sip.listen_address == "127.0.0.1");
  CHECK(config->sip.listen_port == 5060);
  CHECK(config->node.listen_port == 6084);
  CHECK_FALSE(config->control.socket);  // state_paths picks the runtime directory
  // RFC 6940 §11.1 defaults for what it leaves out.
  CHECK(config->overlay.max_message_size == 5000);
  CHECK(config->overlay.initial_ttl == 100);
  CHECK(config->overlay.overlay_reliability_timer == std::chrono::milliseconds(3000));
  CHECK(config->overlay.chord_update_interval == std::chrono::seconds(600));
  CHECK(config->overlay.chord_ping_interval == std::chrono::seconds(3600));
  CHECK(config->overlay.chord_reactive);
  // relay.mode auto on 0.0.0.0: no relay.
  CHECK(config->relay.mode == relay_mode::automatic);
  CHECK_FALSE(choose_relay(*config).on);
}

TEST_CASE("config/adhoc.yaml is the embedded default, byte for byte") {
  std::ifstream in(source_config("adhoc.yaml"), std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(file == embedded_default_yaml());
  auto config = load_config_file(source_config("adhoc.yaml"));
  if (!config) FAIL(config.error().describe());
  CHECK(config->overlay.name == "adhoc.p2psip.local");
}

TEST_CASE("the office example parses, with its root certificate beside it") {
  temp_dir dir;
  fs::copy_file(source_config("p2psipd.yaml"), dir.path() / "p2psipd.yaml");
  write_identity(dir.path() / "unused.key", dir.path() / "root.crt");

  auto config = load_config_file(dir.path() / "p2psipd.yaml");
  if (!config) FAIL(config.error().describe());
  const auto& overlay = config->overlay;
  CHECK(overlay.name == "office.example");
  CHECK_FALSE(overlay.self_signed_permitted);
  CHECK(overlay.enrollment_server == "https://ca.office.example:8443/");
  CHECK(overlay.root_cert == dir.path() / "root.crt");  // relative to the file
  REQUIRE(overlay.bootstrap_nodes.size() == 3);
  CHECK(overlay.bootstrap_nodes[0] == host_port{"192.0.2.10", 6084});
  CHECK(overlay.bootstrap_nodes[1] == host_port{"boxes.office.example", 6084});
  CHECK(overlay.bootstrap_nodes[2] == host_port{"2001:db8::10", 6084});
  REQUIRE(overlay.kinds.size() == 1);
  CHECK(overlay.kinds[0].id.value == 4000);
  CHECK(overlay.kinds[0].data_model == kind_data_model::array);
  CHECK(overlay.kinds[0].access_control == kind_access_control::node_multiple);
  CHECK(overlay.kinds[0].max_node_multiple == 3u);
  CHECK(overlay.kinds[0].max_count == 22);
  CHECK(overlay.kinds[0].max_size == 1024);
  CHECK(config->control.admin_group == "p2psip-admin");
  CHECK(config->relay.mode == relay_mode::automatic);
  CHECK(config->relay.deny.size() == 3);
  CHECK_FALSE(choose_relay(*config).on);  // 0.0.0.0
  CHECK(config->log == log_level::info);
}

TEST_CASE("values of every type are read") {
  auto config = parse_ok(adhoc_head +
                         "  bootstrap-nodes: [peer.example, '[::1]', '10.0.0.1:7000']\n"
                         "  bad-nodes: [00112233445566778899aabbccddeeff]\n"
                         "  kinds:\n"
                         "    - {id: SIP-REGISTRATION, data-model: DICTIONARY,\n"
                         "       access-control: USER-NODE-MATCH, max-count: 2, max-size: 500}\n"
                         "node: {listen-port: 0, state-dir: /var/tmp/p2p}\n"
                         "discovery: {enabled: false, interface: lo, interval: 2, ttl: 3}\n"
                         "sip: {udp: false}\n"
                         "control: {socket: /run/x.sock, admin-group: wheel}\n"
                         "log: {level: debug}\n");
  CHECK(config.overlay.bootstrap_nodes ==
        std::vector<host_port>{{"peer.example", 6084}, {"::1", 6084}, {"10.0.0.1", 7000}});
  REQUIRE(config.overlay.bad_nodes.size() == 1);
  CHECK(config.overlay.bad_nodes[0].hex() == "00112233445566778899aabbccddeeff");
  CHECK(config.overlay.kinds[0].id.value == 1);
  CHECK_FALSE(config.overlay.kinds[0].max_node_multiple);
  CHECK(config.node.listen_port == 0);
  CHECK(config.node.state_dir == fs::path("/var/tmp/p2p"));
  CHECK_FALSE(config.discovery.enabled);
  CHECK(config.discovery.interface == "lo");
  CHECK(config.discovery.interval == std::chrono::seconds(2));
  CHECK(config.discovery.ttl == 3);
  CHECK_FALSE(config.sip.udp);
  CHECK(config.sip.tcp);
  CHECK(config.control.socket == fs::path("/run/x.sock"));
  CHECK(config.log == log_level::debug);
}

TEST_CASE("unknown keys are refused with the nearest known key") {
  CHECK(error_of(adhoc_head + "  nmae: other\n") ==
        "test.yaml:4:3: unknown key 'overlay.nmae'; did you mean 'name'?");
  CHECK(error_of(adhoc_head + "  kinds:\n    - id: 4000\n      data-model: SINGLE\n"
                              "      access-policy: USER-MATCH\n      max-count: 1\n"
                              "      max-size: 1\n") ==
        "test.yaml:7:7: unknown key 'overlay.kinds[0].access-policy'; did you mean "
        "'access-control'?");
  CHECK(error_of(adhoc_head + "discovry:\n  enabled: false\n") ==
        "test.yaml:4:1: unknown key 'discovry'; did you mean 'discovery'?");
  CHECK(error_of(adhoc_head + "colour: blue\n") == "test.yaml:4:1: unknown key 'colour'");
}

TEST_CASE("values of the wrong type are refused") {
  CHECK(error_of(adhoc_head + "  max-message-size: big\n") ==
        "test.yaml:4:21: overlay.max-message-size: expected an integer, got 'big'");
  // Quoted, it is a string, however numeric it looks.
  CHECK(error_of(adhoc_head + "  initial-ttl: \"50\"\n") ==
        "test.yaml:4:16: overlay.initial-ttl: expected an integer, got '50'");
  CHECK(error_of(adhoc_head + "  chord-reactive: yes\n") ==
        "test.yaml:4:19: overlay.chord-reactive: expected true or false, got 'yes'");
  CHECK(error_of("overlay:\n  self-signed-permitted: true\n  name: [a, b]\n") ==
        "test.yaml:3:9: overlay.name: expected a string, got a list");
  CHECK(error_of(adhoc_head + "  bootstrap-nodes: peer.example\n") ==
        "test.yaml:4:20: overlay.bootstrap-nodes: expected a list, got a scalar");
  CHECK(error_of(adhoc_head + "sip: true\n") ==
        "test.yaml:4:6: sip: expected a mapping, got a scalar");
  CHECK(error_of(adhoc_head + "log:\n  level:\n") ==
        "test.yaml:5:3: log.level: expected a string, got nothing");
  CHECK(error_of("- overlay\n") == "test.yaml:1:1: the document: expected a mapping, got a list");
}

TEST_CASE("values out of range are refused with the range") {
  CHECK(error_of(adhoc_head + "  initial-ttl: 300\n") ==
        "test.yaml:4:16: overlay.initial-ttl: 300 is out of range (1..255)");
  CHECK(error_of(adhoc_head + "  overlay-reliability-timer: 199\n") ==
        "test.yaml:4:30: overlay.overlay-reliability-timer: 199 is out of range (200..600000)");
  CHECK(error_of(adhoc_head + "  max-message-size: -1\n") ==
        "test.yaml:4:21: overlay.max-message-size: -1 is out of range (512..16777215)");
  CHECK(error_of(adhoc_head + "node:\n  listen-port: 99999999999999999999999\n") ==
        "test.yaml:5:16: node.listen-port: 99999999999999999999999 is out of range (0..65535)");
  CHECK(error_of(adhoc_head + "discovery:\n  group: 192.0.2.1\n") ==
        "test.yaml:5:10: discovery.group: '192.0.2.1' is not an IPv4 multicast address "
        "(224.0.0.0/4)");
  CHECK(error_of(adhoc_head + "  bootstrap-nodes: ['peer.example:0']\n") ==
        "test.yaml:4:21: overlay.bootstrap-nodes[0]: 'peer.example:0' is not HOST, HOST:PORT or "
        "[IPv6]:PORT with a port of 1..65535");
  CHECK(error_of(adhoc_head + "  enrollment-server: http://ca.example/\n") ==
        "test.yaml:4:22: overlay.enrollment-server: 'http://ca.example/' is not an https:// URL "
        "(RFC 6940 §11.1)");
  CHECK(error_of(adhoc_head + "  bad-nodes: [abcd]\n") ==
        "test.yaml:4:15: overlay.bad-nodes[0]: 'abcd' is not a Node-ID of 32 hex digits");
  CHECK(error_of(adhoc_head + "log: {level: loud}\n") ==
        "test.yaml:4:14: log.level: 'loud' is not one of debug, info, notice, warning, error");
}

TEST_CASE("a one-line overlay section fetches the configuration document") {
  const auto config = parse_config("overlay: {name: office.example}\n", "test.yaml", {});
  REQUIRE(config);
  CHECK(config->overlay.name == "office.example");
  CHECK(fetches_configuration(config->overlay));
  CHECK_FALSE(config->overlay.configuration_url);
  const auto with_url = parse_config(
      "overlay: {name: office.example, configuration-url: "
      "'https://10.0.0.1:8443/.well-known/reload-config'}\n",
      "test.yaml", {});
  REQUIRE(with_url);
  CHECK(with_url->overlay.configuration_url == "https://10.0.0.1:8443/.well-known/reload-config");
}

TEST_CASE("missing, repeated and contradictory settings are refused") {
  CHECK(error_of("") == "test.yaml:1:1: missing required key 'overlay'");
  CHECK(error_of("log: {level: info}\n") == "test.yaml:1:1: missing required key 'overlay'");
  CHECK(error_of("overlay:\n  self-signed-permitted: true\n") ==
        "test.yaml:2:3: missing required key 'overlay.name'");
  CHECK(error_of(adhoc_head + "  name: again.example\n") ==
        "test.yaml:4:3: duplicate key 'overlay.name' (first given at line 2)");
  CHECK(error_of(adhoc_head + "  configuration-url: https://ca.example/x\n") ==
        "test.yaml:4:22: overlay.configuration-url: only for an overlay whose configuration is "
        "fetched: drop root-cert and self-signed-permitted, which the document sets");
  CHECK(error_of("overlay: {name: office.example, configuration-url: http://ca.example/}\n") ==
        "test.yaml:1:52: overlay.configuration-url: 'http://ca.example/' is not an https:// URL "
        "(RFC 6940 §11.1)");
  CHECK(error_of(adhoc_head + "  kinds:\n    - {id: 9, data-model: ARRAY, access-control: "
                              "NODE-MULTIPLE, max-count: 1, max-size: 1}\n") ==
        "test.yaml:5:7: overlay.kinds[0].max-node-multiple: required when access-control is "
        "NODE-MULTIPLE");
  CHECK(error_of(adhoc_head + "node: {identity-key: node.key}\n") ==
        "test.yaml:4:22: node.identity-key: identity-key and identity-certificate go together");
  CHECK(error_of(adhoc_head + "sip: {udp: false, tcp: false}\n") ==
        "test.yaml:4:12: sip.udp: SIP is enabled but neither udp nor tcp is");
}

TEST_CASE("the sip section takes the registration policy and digest settings") {
  auto config = parse_ok(adhoc_head +
                         "sip: {listen-port: 0, users: [alice@office.example, "
                         "'sip:bob@office.example'], domains: [office.example], auth: always, "
                         "auth-file: /etc/p2psipd/sip-users, realm: office}\n");
  CHECK(config.sip.listen_port == 0);
  CHECK(config.sip.users ==
        std::vector<std::string>{"alice@office.example", "sip:bob@office.example"});
  CHECK(config.sip.domains == std::vector<std::string>{"office.example"});
  CHECK(config.sip.auth == sip_auth_mode::always);
  CHECK(config.sip.auth_file == fs::path("/etc/p2psipd/sip-users"));
  CHECK(config.sip.realm == "office");
  CHECK(parse_ok(adhoc_head).sip.auth == sip_auth_mode::automatic);
  CHECK(error_of(adhoc_head + "sip: {users: [alice]}\n").find(
            "sip.users[0]: not an address of record") != std::string::npos);
  CHECK(error_of(adhoc_head + "sip: {auth: always}\n").find(
            "sip.auth: digest authentication needs auth-file") != std::string::npos);
  CHECK(error_of(adhoc_head + "sip: {auth: maybe}\n").find("sip.auth") != std::string::npos);
}

TEST_CASE("auth: auto on a listener beyond loopback needs an auth-file") {
  CHECK(error_of(adhoc_head + "sip: {listen-address: 0.0.0.0}\n") ==
        "test.yaml:4:23: sip.listen-address: '0.0.0.0' is not loopback, so digest "
        "authentication is on (auth: auto) and needs auth-file; or set auth: never");
  CHECK(error_of(adhoc_head + "sip: {listen-address: '192.0.2.7', auth: auto}\n")
            .find("sip.listen-address: '192.0.2.7' is not loopback") != std::string::npos);
  CHECK(error_of(adhoc_head + "sip: {listen-address: '2001:db8::1'}\n")
            .find("'2001:db8::1' is not loopback") != std::string::npos);
  // Digest on, with its users; or explicitly off; or loopback (any of 127/8, ::1).
  CHECK(parse_ok(adhoc_head + "sip: {listen-address: 0.0.0.0, auth-file: /etc/p2psipd/users}\n")
            .sip.auth == sip_auth_mode::automatic);
  CHECK(parse_ok(adhoc_head + "sip: {listen-address: 0.0.0.0, auth: never}\n").sip.auth ==
        sip_auth_mode::never);
  CHECK(parse_ok(adhoc_head + "sip: {listen-address: 127.0.0.2}\n").sip.listen_address ==
        "127.0.0.2");
  CHECK(parse_ok(adhoc_head + "sip: {listen-address: '::1'}\n").sip.listen_address == "::1");
  // A SIP front that is off listens nowhere.
  CHECK_FALSE(
      parse_ok(adhoc_head + "sip: {enabled: false, listen-address: 0.0.0.0}\n").sip.enabled);
}

TEST_CASE("the relay section: defaults, every key, and auto's choice") {
  const auto defaults = parse_ok(adhoc_head).relay;
  CHECK(defaults.mode == relay_mode::automatic);
  CHECK(defaults.port == 3478);
  CHECK(defaults.tls_port == 5349);
  CHECK(defaults.address.empty());
  CHECK(defaults.relay_port_min == 49152);
  CHECK(defaults.relay_port_max == 65535);
  CHECK_FALSE(defaults.allow_loopback_peers);
  CHECK(defaults.credential_ttl == std::chrono::seconds(86400));

  const auto relay = parse_ok(adhoc_head +
                              "relay:\n"
                              "  mode: on\n"
                              "  port: 0\n"
                              "  tls-port: 0\n"
                              "  address: 127.0.0.1\n"
                              "  relay-ports: 50000-50099\n"
                              "  allow-loopback-peers: true\n"
                              "  deny: [10.0.0.0/8, '2001:db8::/32']\n"
                              "  allow: [10.1.2.3]\n"
                              "  max-allocations: 20\n"
                              "  max-allocations-per-user: 2\n"
                              "  bandwidth: 125000\n"
                              "  credential-ttl: 3600\n")
                         .relay;
  CHECK(relay.mode == relay_mode::on);
  CHECK(relay.port == 0);
  CHECK(relay.tls_port == 0);
  CHECK(relay.address == "127.0.0.1");
  CHECK(relay.relay_port_min == 50000);
  CHECK(relay.relay_port_max == 50099);
  CHECK(relay.allow_loopback_peers);
  CHECK(relay.deny == std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"});
  CHECK(relay.allow == std::vector<std::string>{"10.1.2.3"});
  CHECK(relay.max_allocations == 20);
  CHECK(relay.max_allocations_per_user == 2);
  CHECK(relay.bandwidth == 125000);
  CHECK(relay.credential_ttl == std::chrono::seconds(3600));
  CHECK(parse_ok(adhoc_head + "relay: {mode: off}\n").relay.mode == relay_mode::off);

  // auto: on only for a public IPv4 address.
  auto config = parse_ok(adhoc_head + "node: {listen-address: 127.0.0.1}\n");
  auto choice = choose_relay(config);
  CHECK_FALSE(choice.on);
  CHECK(choice.address == "127.0.0.1");
  CHECK(choice.why.find("node.listen-address 127.0.0.1 is not a public IPv4 address") !=
        std::string::npos);
  config.relay.address = "8.8.8.8";
  choice = choose_relay(config);
  CHECK(choice.on);
  CHECK(choice.address == "8.8.8.8");
  CHECK(choice.why == "relay.mode is auto and relay.address 8.8.8.8 is a public IPv4 address");
  config.relay.mode = relay_mode::off;
  CHECK_FALSE(choose_relay(config).on);
  config.relay.mode = relay_mode::on;
  config.relay.address = "10.0.0.1";
  CHECK(choose_relay(config).on);
  CHECK_FALSE(choose_relay(parse_ok(adhoc_head)).on);  // 0.0.0.0
  for (const char* address : {"10.1.1.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                              "100.64.0.1", "127.0.0.1", "169.254.1.1", "0.0.0.0", "224.0.0.1",
                              "255.255.255.255", "192.0.2.1", "::1", "2001:db8::1", "x"}) {
    INFO(address);
    CHECK_FALSE(is_public_ipv4(address));
  }
  for (const char* address : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "193.0.0.1"}) {
    INFO(address);
    CHECK(is_public_ipv4(address));
  }
}

TEST_CASE("bad relay values are refused with their position") {
  CHECK(error_of(adhoc_head + "relay: {mode: maybe}\n") ==
        "test.yaml:4:15: relay.mode: 'maybe' is not one of auto, on, off");
  CHECK(error_of(adhoc_head + "relay:\n  port: 70000\n") ==
        "test.yaml:5:9: relay.port: 70000 is out of range (0..65535)");
  CHECK(error_of(adhoc_head + "relay:\n  tls-port: -1\n") ==
        "test.yaml:5:13: relay.tls-port: -1 is out of range (0..65535)");
  CHECK(error_of(adhoc_head + "relay:\n  address: relay.example\n") ==
        "test.yaml:5:12: relay.address: 'relay.example' is not an IPv4 or IPv6 address");
  CHECK(error_of(adhoc_head + "relay:\n  relay-ports: 60000-50000\n") ==
        "test.yaml:5:16: relay.relay-ports: '60000-50000' is not a port range LOW-HIGH with 1 "
        "<= LOW <= HIGH <= 65535");
  CHECK(error_of(adhoc_head + "relay:\n  relay-ports: 0-100\n").find("'0-100' is not a port "
                                                                      "range") !=
        std::string::npos);
  CHECK(error_of(adhoc_head + "relay:\n  relay-ports: 49152\n").find("'49152' is not a port "
                                                                      "range") !=
        std::string::npos);
  CHECK(error_of(adhoc_head + "relay:\n  allow-loopback-peers: sometimes\n") ==
        "test.yaml:5:25: relay.allow-loopback-peers: expected true or false, got 'sometimes'");
  CHECK(error_of(adhoc_head + "relay:\n  deny: [10.0.0.0/8, 10.0.0.1/8]\n") ==
        "test.yaml:5:22: relay.deny[1]: '10.0.0.1/8' is not an address or CIDR block like "
        "10.0.0.0/8 or 2001:db8::/32");
  CHECK(error_of(adhoc_head + "relay:\n  allow: [10.0.0.0/33]\n").find("relay.allow[0]: "
                                                                       "'10.0.0.0/33'") !=
        std::string::npos);
  CHECK(error_of(adhoc_head + "relay:\n  max-allocations: 0\n") ==
        "test.yaml:5:20: relay.max-allocations: 0 is out of range (1..1000000)");
  CHECK(error_of(adhoc_head + "relay:\n  max-allocations: 4\n  max-allocations-per-user: 5\n") ==
        "test.yaml:6:29: relay.max-allocations-per-user: is more than max-allocations");
  CHECK(error_of(adhoc_head + "relay:\n  bandwidth: -5\n") ==
        "test.yaml:5:14: relay.bandwidth: -5 is out of range (0..1099511627776)");
  CHECK(error_of(adhoc_head + "relay:\n  credential-ttl: 10\n") ==
        "test.yaml:5:19: relay.credential-ttl: 10 is out of range (60..604800)");
  CHECK(error_of(adhoc_head + "relay:\n  port: 4000\n  tls-port: 4000\n") ==
        "test.yaml:6:13: relay.tls-port: must differ from port: TCP listens there too");
  CHECK(error_of(adhoc_head + "relay:\n  mode: on\n") ==
        "test.yaml:5:9: relay.mode: the relay needs one address to relay from and to name in "
        "XOR-RELAYED-ADDRESS, not '0.0.0.0' (node.listen-address): set relay.address");
  CHECK(error_of(adhoc_head + "relay:\n  mode: on\n  address: '::'\n") ==
        "test.yaml:6:12: relay.address: the relay needs one address to relay from and to name "
        "in XOR-RELAYED-ADDRESS, not '::'");
  CHECK(error_of(adhoc_head + "relay:\n  prot: 3478\n").find("relay.prot") != std::string::npos);
}

TEST_CASE("the media section: defaults and every key") {
  const auto defaults = parse_ok(adhoc_head).media;
  CHECK(defaults.anchor == media_anchor_mode::always);
  CHECK(defaults.address.empty());
  CHECK(defaults.port_min == 0);
  CHECK(defaults.port_max == 0);
  CHECK(defaults.inactivity == std::chrono::seconds(30));

  const auto media = parse_ok(adhoc_head +
                              "media:\n"
                              "  anchor: nat\n"
                              "  address: 192.0.2.20\n"
                              "  ports: 40000-40999\n"
                              "  inactivity: 5\n")
                         .media;
  CHECK(media.anchor == media_anchor_mode::nat);
  CHECK(media.address == "192.0.2.20");
  CHECK(media.port_min == 40000);
  CHECK(media.port_max == 40999);
  CHECK(media.inactivity == std::chrono::seconds(5));
  CHECK(parse_ok(adhoc_head + "media: {anchor: never}\n").media.anchor == media_anchor_mode::never);
}

TEST_CASE("bad media values are refused with their position") {
  CHECK(error_of(adhoc_head + "media: {anchor: sometimes}\n") ==
        "test.yaml:4:17: media.anchor: 'sometimes' is not one of always, nat, never");
  CHECK(error_of(adhoc_head + "media:\n  address: phones.example\n") ==
        "test.yaml:5:12: media.address: 'phones.example' is not an IPv4 or IPv6 address");
  CHECK(error_of(adhoc_head + "media:\n  address: 0.0.0.0\n")
            .find("media.address: phones must be told one address, not '0.0.0.0'") !=
        std::string::npos);
  CHECK(error_of(adhoc_head + "media:\n  ports: 40001-40002\n")
            .find("media.ports: needs room for an even RTP port and the RTCP port above it") !=
        std::string::npos);
  CHECK(error_of(adhoc_head + "media:\n  ports: 50000-40000\n").find("is not a port range") !=
        std::string::npos);
  CHECK(error_of(adhoc_head + "media:\n  inactivity: 1\n") ==
        "test.yaml:5:15: media.inactivity: 1 is out of range (5..3600)");
  CHECK(error_of(adhoc_head + "media:\n  inactivty: 30\n").find("inactivity") !=
        std::string::npos);
}

TEST_CASE("invalid YAML is refused with the parser's position") {
  CHECK(error_of("overlay: [1, 2\nlog: x\n") ==
        "test.yaml:2:4: invalid YAML: end of sequence flow not found");
  CHECK(error_of("overlay:\n  name: a\n   bad: indent\n") ==
        "test.yaml:3:7: invalid YAML: illegal map value");
}

TEST_CASE("certificate and key files are opened and parsed") {
  temp_dir dir;
  const std::string ca_head = "overlay:\n  name: office.example\n  root-cert: ";

  CHECK(error_of(ca_head + "missing.crt\n", dir.path()) ==
        "test.yaml:3:14: overlay.root-cert: cannot open " + (dir.path() / "missing.crt").string() +
            ": No such file or directory");

  std::ofstream(dir.path() / "junk.crt") << "this is not a certificate\n";
  CHECK(error_of(ca_head + "junk.crt\n", dir.path()) ==
        "test.yaml:3:14: overlay.root-cert: " + (dir.path() / "junk.crt").string() +
            " holds no PEM X.509 certificate");

  write_identity(dir.path() / "node.key", dir.path() / "node.crt");
  write_identity(dir.path() / "other.key", dir.path() / "other.crt");
  parse_ok(ca_head + "node.crt\n", dir.path());
  const std::string identity = adhoc_head + "node:\n  identity-certificate: node.crt\n";
  parse_ok(identity + "  identity-key: node.key\n", dir.path());
  CHECK(error_of(identity + "  identity-key: other.key\n", dir.path()) ==
        "test.yaml:5:25: node.identity-certificate: not the certificate of node.identity-key");

  ::chmod((dir.path() / "node.key").c_str(), 0644);
  CHECK(error_of(identity + "  identity-key: node.key\n", dir.path()) ==
        "test.yaml:6:17: node.identity-key: " + (dir.path() / "node.key").string() +
            " has mode 0644; expected 0600");
}

TEST_CASE("an unreadable configuration file is named in the error") {
  temp_dir dir;
  auto config = load_config_file(dir.path() / "absent.yaml");
  REQUIRE_FALSE(config);
  const std::string path = (dir.path() / "absent.yaml").string();
  CHECK(config.error().describe() ==
        path + ": cannot open " + path + ": No such file or directory");
}

TEST_CASE("mangled configurations never throw and never crash") {
  std::ifstream in(source_config("p2psipd.yaml"), std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::mt19937 random(6940);
  const std::string alphabet = ":-[]{}'\"#&*!|>%@` \n\t0x9az";
  parse_options no_files;
  no_files.check_files = false;
  for (int round = 0; round < 2000; ++round) {
    std::string text = original;
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0: text[at] = alphabet[random() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + random() % 16); break;
        default: text.insert(at, text.substr(random() % text.size(), 1 + random() % 32));
      }
      if (text.empty()) text = "x";
    }
    CHECK_NOTHROW(static_cast<void>(parse_config(text, "fuzz.yaml", no_files)));
  }
}
