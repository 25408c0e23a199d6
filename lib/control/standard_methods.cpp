#include "control/standard_methods.hpp"

#include <array>
#include <cstdint>

// Schemas are written with designated initializers precisely so that unused
// fields can be left out; GCC before 13 warns about that anyway.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace p2psip::control {

namespace {

using enum value_type;
constexpr double max_uint32 = 4294967295.0;

constexpr std::array event_topics{
    std::string_view{"node.state"},      std::string_view{"node.certificate"},
    std::string_view{"peer.up"},         std::string_view{"peer.down"},
    std::string_view{"storage.stored"},  std::string_view{"storage.expired"},
    std::string_view{"storage.changed"}, std::string_view{"sip.registration"},
    std::string_view{"sip.dialog"},      std::string_view{"sip.message.received"},
    std::string_view{"sip.presence"},    std::string_view{"relay.allocation"},
    std::string_view{"media"},           std::string_view{"events.lost"},
};

constexpr std::array levels{std::string_view{"trace"}, std::string_view{"debug"},
                            std::string_view{"info"},  std::string_view{"warning"},
                            std::string_view{"error"}, std::string_view{"off"}};

std::vector<std::string> level_names() { return {levels.begin(), levels.end()}; }

param_schema kind_param() {
  return {.name = "kind",
          .type = string,
          .description = "Kind name (app-data, sip-registration, ...) or decimal Kind-ID",
          .default_value = "app-data",
          .minimum = 1,
          .maximum = 64};
}

param_schema key_param() {
  return {.name = "key",
          .type = string,
          .description = "resource name, hashed to its Resource-ID, or the Resource-ID in hex",
          .required = true,
          .minimum = 1,
          .maximum = 1024,
          .format = string_format::hex_id_or_name};
}

// The method ending a watch that `watch_method` started on this connection.
method_schema unwatch_schema(std::string name, const std::string& watch_method) {
  return {.name = std::move(name),
          .summary = "end a " + watch_method + " of this connection",
          .params = {{.name = "watch",
                      .type = integer,
                      .description = "the id " + watch_method + " returned",
                      .required = true,
                      .minimum = 1,
                      .maximum = max_uint32}},
          .result = {{"watch", integer, "the id"}, {"removed", boolean, "true"}},
          .notes = "Fails with unknown_watch when this connection has no " + watch_method +
                   " of that id."};
}

// A SIP address of record (or GRUU), required.
param_schema aor_param(std::string name, std::string description) {
  return {.name = std::move(name),
          .type = string,
          .description = std::move(description),
          .required = true,
          .minimum = 1,
          .maximum = 1024};
}

param_schema encoding_param(std::string description) {
  return {.name = "encoding",
          .type = string,
          .description = std::move(description),
          .default_value = "text",
          .one_of = {"text", "hex", "base64"}};
}

std::vector<method_schema> schemas() {
  return {
      {.name = "node.status",
       .summary = "this node's identity, join state and overlay",
       .result = {{"node_id", string, "this node's Node-ID in hex"},
                  {"state", string, "init, joining, joined, isolated or leaving"},
                  {"overlay", string, "overlay name"},
                  {"peers", integer, "number of connected peers"},
                  {"uptime_s", integer, "seconds since the daemon started"},
                  {"certificate", object,
                   "this node's certificate: user (its rfc822Name user name), node_ids (hex), "
                   "expires (UTC, RFC 3339) and self_signed"},
                  {"renewal", object,
                   "null unless the node enrolled at its overlay's CA (p2psipd --overlay); "
                   "then renewing (a renewal under way), failures (in a row), last_error and "
                   "retry_in_s while a failed renewal waits for its retry"},
                  {"accounts", array,
                   "the accounts this box holds for its phones' users (a CA overlay, "
                   "p2psipd(8) ACCOUNTS FROM THE PHONE'S PASSWORD): one certificate object each, "
                   "as certificate"},
                  {"sip", object,
                   "the SIP front: enabled, udp, tcp, and thread (running, or stalled when "
                   "its thread has not taken a task for 5 s; the watchdog pings stop then)"},
                  {"ice", object,
                   "ICE for Attach: enabled (false when overlay.no-ice is set); while enabled "
                   "also relays (TURN relays with credentials held), agents (still "
                   "gathering or checking), paths (pairs handed to DTLS links), failures, "
                   "and udp (open, or blocked when a directly linked peer's STUN server did "
                   "not answer: agents then use TURN over TCP only; unknown before a probe)"},
                  {"discovery", object,
                   "LAN discovery: state (off, running, waiting for a usable interface, or "
                   "failed), the interfaces it runs on, and the problem while not running"},
                  {"relay", object,
                   "the STUN/TURN relay: mode (auto, on, off) and running; while running also "
                   "address, udp_port, tcp_port, tls_port (as bound), allocations (as of the "
                   "last second) and thread (running, or stalled)"}}},
      {.name = "node.leave",
       .summary = "hand replicas over and leave the overlay gracefully",
       .access = method_access::state_changing,
       .result = {{"state", string, "the state after the request, normally leaving"}}},
      {.name = "node.enroll",
       .summary = "enroll or re-enroll this node at its overlay's enrollment server",
       .access = method_access::state_changing,
       .params = {{.name = "user",
                   .type = string,
                   .description = "the account to enroll as, with password",
                   .minimum = 1,
                   .maximum = 254},
                  {.name = "password",
                   .type = string,
                   .description = "the account's password (p2psipctl prompts for it)",
                   .minimum = 1,
                   .maximum = 1024},
                  {.name = "token",
                   .type = string,
                   .description = "a one-time token from p2psip-ca token, instead of user and "
                                  "password",
                   .minimum = 1,
                   .maximum = 1024}},
       .result = {{"user", string, "the certificate's user"},
                  {"node_ids", array, "its Node-IDs (hex)"},
                  {"expires", string, "when it expires (UTC, RFC 3339)"},
                  {"self_signed", boolean, "false"},
                  {"restart_needed", boolean,
                   "true when the certificate names another Node-ID than the running node's "
                   "(another user): saved, in force from the next start"}},
       .notes = "Only for a daemon started with --overlay: it enrolls at the enrollment server "
                "of the saved configuration document, keeping the node's key, and saves the "
                "certificate (node.crt) only on success. A certificate for the running Node-ID "
                "is in force at once, as a renewal is: links up stay up. Errors name the cause "
                "as first-start enrollment does: ca_unreachable, wrong_password, token_used, "
                "csr_refused, root_mismatch, or enrollment_failed (no enrollment server, no "
                "configuration document, the state directory not writable)."},
      {.name = "overlay.peers",
       .summary = "connected peers with their role, link and round-trip time",
       .result = {{"peers", array,
                   "objects with node_id, role (predecessor, successor, finger, other), "
                   "transport (dtls-udp over ICE, or tls-tcp), pair for ICE links (local and "
                   "remote candidate types: host, srflx, prflx or relay; relay, the TURN "
                   "server used) and rtt_ms"}}},
      {.name = "overlay.attach",
       .summary = "open a link to a node by Attach (ICE unless the overlay is No-ICE)",
       .access = method_access::state_changing,
       .params = {{.name = "node_id",
                   .type = string,
                   .description = "the node's Node-ID in hex",
                   .required = true,
                   .minimum = 32,
                   .maximum = 32}},
       .result = {{"node_id", string, "the node linked to"},
                  {"transport", string, "dtls-udp or tls-tcp"},
                  {"pair", object,
                   "for an ICE link: local, remote and relay as in overlay.peers"}}},
      {.name = "overlay.fingers",
       .summary = "the Chord finger table",
       .result = {{"fingers", array, "objects with index, start (hex) and node_id (hex)"}}},
      {.name = "overlay.route",
       .summary = "where the overlay would route an id, without sending anything",
       .params = {{.name = "id",
                   .type = string,
                   .description = "Node-ID or Resource-ID in hex, or a resource name to hash",
                   .required = true,
                   .minimum = 1,
                   .maximum = 1024,
                   .format = string_format::hex_id_or_name}},
       .result = {{"target", string, "the id routed to, in hex"},
                  {"next_hop", string, "Node-ID of the next hop; this node when responsible"},
                  {"responsible", boolean, "whether this node is responsible for the id"}}},
      {.name = "storage.put",
       .summary = "store a value in the overlay",
       .access = method_access::state_changing,
       .params = {kind_param(),
                  key_param(),
                  {.name = "value",
                   .type = string,
                   .description = "the value, written as encoding says",
                   .required = true,
                   .maximum = 1048576},
                  encoding_param("how value is written: text, hex or base64"),
                  {.name = "lifetime",
                   .type = integer,
                   .description = "seconds the value stays stored",
                   .default_value = 3600,
                   .minimum = 1,
                   .maximum = max_uint32}},
       .result = {{"resource_id", string, "Resource-ID the value is stored under, in hex"},
                  {"kind", string, "the kind stored"},
                  {"generation", integer, "storage generation counter after the store"},
                  {"replicas", integer, "number of replicas that acknowledged"}}},
      {.name = "storage.get",
       .summary = "fetch the values stored under a key",
       .params = {kind_param(), key_param(),
                  encoding_param("how values are returned: text, hex or base64")},
       .result = {{"resource_id", string, "Resource-ID fetched, in hex"},
                  {"kind", string, "the kind fetched"},
                  {"values", array, "objects with key, value, generation and lifetime_s"}},
       .notes = "Reads app-data, and sip-inbox: kind=sip-inbox key=user@domain lists what "
                "the storing nodes hold in a user's offline-message inbox (keys in hex; "
                "values sealed to the user where a certificate of theirs was known, see "
                "p2psipd(8), OFFLINE MESSAGES)."},
      {.name = "storage.watch",
       .summary = "follow the values under a key: a storage.changed event on this connection "
                  "whenever they change anywhere in the overlay",
       .params = {kind_param(),
                  key_param(),
                  encoding_param("how values are returned: text, hex or base64"),
                  {.name = "interval",
                   .type = integer,
                   .description = "seconds between two looks at the values",
                   .default_value = 5,
                   .minimum = 2,
                   .maximum = 3600}},
       .result = {{"watch", integer, "the watch's id, for storage.unwatch and in its events"},
                  {"resource_id", string, "Resource-ID watched, in hex"},
                  {"kind", string, "the kind watched"},
                  {"interval_s", integer, "seconds between two looks"},
                  {"values", array, "the values now, as storage.get returns them"}},
       .notes = "Polling at a bounded rate: this node fetches the values every interval "
                "(at least 2 s) from the peer responsible for them, whichever node changed "
                "them, and holds at most 64 watches (too_many_watches past that), so it "
                "sends at most 32 Fetches a second for its watchers. Replicas do not notify: "
                "RFC 6940 has no message for it. A change is an entry added, changed or "
                "removed; a value stored again unchanged is none. Subscribe to "
                "storage.changed (events.subscribe) on the same connection; each change "
                "sends {topic: storage.changed, watch, key, resource_id, kind, values} there, "
                "at most one per interval. A watch ends with storage.unwatch or when the "
                "connection closes. The first look is made before the result, which carries "
                "what it found (empty when nothing is stored)."},
      unwatch_schema("storage.unwatch", "storage.watch"),
      {.name = "sip.registrations",
       .summary = "the AORs registered with this node's SIP front and their contacts",
       .result = {{"registrations", array,
                   "objects with aor, published (the outcome of the AOR's last "
                   "SIP-REGISTRATION Store: stored, storing, not joined or refused: WHY) and "
                   "contacts: [{uri, expires_s, instance, gruu}]"}}},
      {.name = "sip.lookup",
       .summary = "where a SIP request to an AOR would go: local contacts or overlay nodes",
       .params = {aor_param("aor", "the AOR or GRUU, e.g. sip:alice@office.example")},
       .result = {{"aor", string, "the AOR as looked up"},
                  {"local", array, "contact URIs registered with this node"},
                  {"nodes", array, "Node-IDs (hex) the overlay names for the AOR"},
                  {"status", integer,
                   "the SIP status a request would get when not routable, "
                   "else 0"},
                  {"reason", string, "why, when status is not 0"}}},
      {.name = "sip.presence",
       .summary = "an AOR's presence: open or closed, with the note and activity its phone "
                  "published",
       .params = {aor_param("aor", "the AOR, e.g. sip:alice@office.example")},
       .result = {{"aor", string, "the AOR as asked"},
                  {"status", string, "open or closed (the PIDF basic status)"},
                  {"note", string, "the published PIDF note, or empty"},
                  {"activity", string, "the published RPID activity (away, busy, ...), or empty"},
                  {"source", string,
                   "published (a PUBLISH here), registration (registered "
                   "here, nothing published: open), remote (the home "
                   "daemon's answer) or unregistered"},
                  {"where", string,
                   "local (registered here), overlay (at another node) or "
                   "empty when closed"},
                  {"reason", string, "why closed: not registered, or registered but unreachable"}},
       .notes = "Each daemon is the presence agent of the AORs registered with it: phones "
                "PUBLISH PIDF there (RFC 3903) and watchers SUBSCRIBE to the presence event "
                "(RFC 3856), routed through the overlay. A registration with nothing published "
                "is open; an AOR not registered is closed. For an AOR registered at another "
                "node the daemon fetches its presence from that node (a SUBSCRIBE with "
                "Expires 0). The event sip.presence (aor, status, note, activity, source) "
                "follows the AORs registered with this node as they change."},
      {.name = "sip.presence.watch",
       .summary = "follow an AOR's presence wherever it registers (a buddy list entry): a "
                  "sip.presence event on this connection whenever it changes",
       .params = {aor_param("aor", "the AOR, e.g. sip:alice@office.example")},
       .result = {{"watch", integer, "the watch's id, for sip.presence.unwatch and in its events"},
                  {"interval_s", integer, "seconds between two looks at the AOR"},
                  {"aor", string, "the AOR as asked"},
                  {"status", string, "open or closed, now"},
                  {"note", string, "the published PIDF note, or empty"},
                  {"activity", string, "the published RPID activity, or empty"},
                  {"source", string, "as sip.presence says"},
                  {"where", string, "as sip.presence says"},
                  {"reason", string, "as sip.presence says"}},
       .notes = "The AOR must be user@domain within sip.domains (aor_not_allowed otherwise); it "
                "need not be registered anywhere yet. Polling at a bounded rate: this node "
                "fetches the AOR's presence from its home daemon every 10 s (a SUBSCRIBE with "
                "Expires 0 through the overlay), follows at most 64 AORs and holds at most 256 "
                "watches (too_many_watches past either), so it sends at most 6.4 fetches a "
                "second for its watchers. The result carries the state now, as sip.presence "
                "answers it; subscribe to sip.presence (events.subscribe) on the same "
                "connection, and each change sends {topic: sip.presence, watch, aor, status, "
                "note, activity, source} there. A watch ends with sip.presence.unwatch or when "
                "the connection closes."},
      unwatch_schema("sip.presence.unwatch", "sip.presence.watch"),
      {.name = "sip.dialogs",
       .summary = "the SIP dialogs (calls) this node's front is proxying",
       .result = {{"dialogs", array,
                   "objects with call_id, from, to, state (early or confirmed), remote, "
                   "started and media: one object per stream anchored here (m_line, type, "
                   "phone_port, srtp, path, local and remote candidate type and address, "
                   "relay, from_phone and from_far packets, bytes, lost, jitter_ms)"}}},
      {.name = "sip.message",
       .summary = "send a SIP MESSAGE (instant message) from this node",
       .access = method_access::state_changing,
       .params = {aor_param("from", "the sender's AOR, e.g. sip:ops@office.example"),
                  aor_param("to", "the recipient's AOR or GRUU"),
                  {.name = "body",
                   .type = string,
                   .description = "the message text",
                   .required = true,
                   .maximum = 8192},
                  {.name = "content_type",
                   .type = string,
                   .description = "the body's MIME type",
                   .default_value = "text/plain",
                   .minimum = 1,
                   .maximum = 128}},
       .result = {{"status", integer, "the final SIP status of the MESSAGE"},
                  {"phrase", string, "its reason phrase"}}},
      {.name = "sip.call",
       .summary = "click-to-call: ring the caller's own phone, then connect it to the callee",
       .access = method_access::state_changing,
       .params = {aor_param("from",
                            "the caller's AOR, registered on this node, e.g. "
                            "sip:alice@office.example"),
                  aor_param("to", "the callee's AOR or GRUU, here or anywhere in the overlay")},
       .result = {{"call", string, "the call's id, for sip.hangup"},
                  {"caller_call_id", string,
                   "the Call-ID of the dialog with the caller's phone (sip.dialogs)"},
                  {"callee_call_id", string, "the Call-ID of the dialog with the callee"},
                  {"status", integer, "200"}},
       .notes = "Third-party call control (RFC 3725 flow I): an INVITE without SDP rings the "
                "caller's phones registered on this node; the offer of the one that answers "
                "goes to the callee in a second INVITE, and the callee's answer back to the "
                "phone in the ACK. Both dialogs are proxied like a phone's calls (media "
                "anchoring included) and listed by sip.dialogs under the Call-IDs ID-caller "
                "and ID-callee. The answer comes once the callee answered, so give p2psipctl "
                "a --timeout long enough for both to pick up. The callee must answer within "
                "about 32 s of the caller's phone: that phone resends its 200 until the ACK "
                "and then gives up with a BYE (RFC 3261 §13.3.1.4), the timing limit of flow I "
                "(RFC 3725 §4.1). Errors: not_registered when "
                "from has no contact on this node; call_failed with data.leg (caller or "
                "callee), data.status and data.phrase when a leg is not answered 2xx (404 "
                "for an unknown callee, the phone's 486 or 603 when it declines), or when "
                "sip.hangup or a party's BYE ended it first. A re-INVITE from either party "
                "is refused with 488."},
      {.name = "sip.hangup",
       .summary = "end a click-to-call (sip.call): BYE to each answered leg, CANCEL while one "
                  "rings",
       .access = method_access::state_changing,
       .params = {{.name = "call",
                   .type = string,
                   .description = "the call's id from sip.call, or the Call-ID of one of its "
                                  "dialogs",
                   .required = true,
                   .minimum = 1,
                   .maximum = 256}},
       .result = {{"call", string, "the call's id"},
                  {"cancelled", boolean, "true when a leg was still ringing (CANCEL)"}},
       .notes = "Fails with no_such_call when no call under way has that id (ended already, "
                "or never made here)."},
      {.name = "sip.register",
       .summary = "own an AOR from this control connection, with no softphone: MESSAGEs to it "
                  "arrive as sip.message.received events on this connection",
       .access = method_access::state_changing,
       .params = {aor_param("aor", "the AOR to own, e.g. sip:app@office.example"),
                  {.name = "expires",
                   .type = integer,
                   .description = "a lease in seconds that outlives the connection; absent: "
                                  "the AOR is owned while this connection lasts",
                   .minimum = 60,
                   .maximum = 604800}},
       .result = {{"aor", string, "the AOR, normalized"},
                  {"contact", string, "the contact bound to it on this node's front"},
                  {"expires_s", integer, "the binding's lifetime (the daemon refreshes it)"},
                  {"lease_s", integer, "the lease asked for; 0 while the connection lasts"}},
       .notes = "The binding is published in the overlay like a phone's registration, and "
                "phones and other apps may share the AOR: forking delivers to all of them. "
                "Subscribe to sip.message.received (events.subscribe) on the same connection "
                "first: a MESSAGE is answered 200 only once queued on the owning connection's "
                "stream, otherwise 480, and the sender's daemon then keeps it in the "
                "recipient's inbox. The event carries message_id (the MESSAGE's Call-ID), "
                "from, to, aor, content_type and body, and goes to the owning connection only. "
                "Calling it again refreshes the binding or changes its lease; a leased "
                "binding whose connection is gone is taken over by the next client that "
                "registers the AOR."},
      {.name = "sip.unregister",
       .summary = "give up an AOR this control connection owns (sip.register)",
       .access = method_access::state_changing,
       .params = {aor_param("aor", "the AOR")},
       .result = {{"aor", string, "the AOR, normalized"}, {"removed", boolean, "true"}},
       .notes = "Fails with not_registered when this connection owns no such AOR (a leased "
                "one whose connection is gone may be given up by any client)."},
      {.name = "relay.find",
       .summary = "TURN relays other nodes advertise (TURN-SERVICE, RFC 6940 §9), found by Find "
                  "at random Resource-IDs, and the ones found before",
       .result = {{"relays", array,
                   "objects with address, port, node_id (the relay's, when its certificate is "
                   "known; else empty), iteration (the d of H(Node-ID || d)) and seen_s (seconds "
                   "since last seen)"}}},
      {.name = "relay.obtain",
       .summary = "TURN credentials from another member's relay, asked over the overlay by "
                  "AppAttach to application 3478 (see p2psipd(8), RELAY)",
       .access = method_access::state_changing,
       .params = {{.name = "node_id",
                   .type = string,
                   .description = "the relay's Node-ID in hex (relay.find names it)",
                   .required = true,
                   .minimum = 32,
                   .maximum = 32}},
       .result = {{"relay", string, "the relay's Node-ID"},
                  {"username", string, "EXPIRY:ID, ID this node's Node-ID"},
                  {"password", string, "the relay's HMAC of the username"},
                  {"ttl", integer, "seconds until they expire"},
                  {"uris", array, "turn: (UDP) and turns: (TLS) URIs of the relay"}}},
      {.name = "relay.allocations",
       .summary = "the TURN allocations on this node's relay",
       .result = {{"allocations", array,
                   "objects with transport (udp, tcp, tls), client and server (the 5-tuple), "
                   "username, relayed, permissions (peer addresses), channels ([{number, "
                   "peer}]), to_peer and from_peer ({packets, bytes}), age_s and expires_in_s"}},
       .notes = "Fails with relay_off when the relay is not running."},
      {.name = "relay.credentials",
       .summary = "TURN REST credentials for this node's relay (username, password, URIs)",
       .access = method_access::state_changing,
       .params = {{.name = "id",
                   .type = string,
                   .description = "who the credentials are for; the per-user allocation quota "
                                  "counts it (default: the caller's user name, or app)",
                   .minimum = 1,
                   .maximum = 128},
                  {.name = "ttl",
                   .type = integer,
                   .description =
                       "seconds the credentials stay valid, at most relay.credential-ttl "
                       "(default: relay.credential-ttl)",
                   .minimum = 60,
                   .maximum = 604800}},
       .result = {{"username", string, "EXPIRY:ID, EXPIRY in Unix seconds"},
                  {"password", string, "base64(HMAC-SHA1(the relay's secret, username))"},
                  {"ttl", integer, "seconds the credentials stay valid"},
                  {"uris", array,
                   "turn:HOST:PORT?transport=udp, turn:HOST:PORT?transport=tcp and "
                   "turns:HOST:TLSPORT?transport=tcp, with the relay's address and bound ports"}},
       .notes = "The shape of the TURN REST API (draft-uberti-behave-turn-rest). It hands out "
                "a secret, so it needs the state-changing access level. Fails with relay_off "
                "when the relay is not running."},
      {.name = "metrics.get",
       .summary = "counters and gauges of the daemon",
       .params = {{.name = "format",
                   .type = string,
                   .description = "json, or prometheus for the text exposition format",
                   .default_value = "json",
                   .one_of = {"json", "prometheus"}}},
       .result = {{"metrics", object, "json: name to {type, help, samples: [{labels, value}]}"},
                  {"text", string, "prometheus: the exposition text"}}},
      {.name = "events.subscribe",
       .summary = "a snapshot of the node, then a stream of event notifications",
       .params = {{.name = "topics",
                   .type = array,
                   .description = "topics to receive (\"peer.*\" matches a prefix); all when "
                                  "absent or empty",
                   .maximum = 64,
                   .item_type = string}},
       .result = {{"topics", array, "the topics subscribed to; empty means all"},
                  {"snapshot", object, "the current state the events then update"}},
       .notes = "After the result, the server sends notifications with method \"event\" and "
                "params {\"topic\": T, ...} until the connection closes. Each subscriber has a "
                "bounded queue: when a reader falls behind, events are dropped and one "
                "{\"topic\": \"events.lost\", \"count\": N} notification follows."},
      {.name = "log.set_level",
       .summary = "change the daemon's log level until the next restart",
       .access = method_access::state_changing,
       .params = {{.name = "level",
                   .type = string,
                   .description = "the new level",
                   .required = true,
                   .one_of = level_names()}},
       .result = {{"level", string, "the level now in force"},
                  {"previous", string, "the level before"}}},
      {.name = "config.reload",
       .summary = "re-read the configuration file and certificates, as SIGHUP does",
       .access = method_access::state_changing,
       .result = {{"reloaded", boolean, "whether the new configuration is in force"},
                  {"changed", array, "names of settings that changed"}}},
      {.name = "rpc.help",
       .summary = "the methods, their parameters and results, and the error names",
       .params = {{.name = "method",
                   .type = string,
                   .description = "describe only this method",
                   .minimum = 1,
                   .maximum = 128}},
       .result = {{"methods", array, "one description per method"},
                  {"errors", array, "code, name and meaning of every error"}}},
  };
}

}  // namespace

schema_catalog standard_catalog() { return schema_catalog(schemas()); }

std::span<const std::string_view> standard_event_topics() { return event_topics; }

std::span<const std::string_view> log_levels() { return levels; }

}  // namespace p2psip::control
