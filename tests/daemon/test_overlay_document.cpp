// The §11.1 configuration document: written and signed as p2psip-ca does,
// parsed strictly, and refused when tampered with, for another overlay,
// signed by someone not listed, expired, or malformed.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include "daemon/overlay_document.hpp"
#include "identity/certificate_authority.hpp"

using namespace p2psip;
using namespace p2psip::daemon;

namespace {

constexpr const char* overlay_name = "office.example";

template <class T, class E>
T must(wire::basic_result<T, E> r) {
  if (!r) FAIL(r.error().describe());
  return std::move(*r);
}

struct signing_ca {
  identity::certificate_authority ca;
  identity::message_signer signer;
};

signing_ca make_signing_ca(const std::string& overlay = overlay_name) {
  const auto now = std::chrono::system_clock::now();
  auto ca = must(identity::certificate_authority::in_memory(overlay, now));
  auto issued = must(ca.enroll_offline("configuration-signer@" + overlay, 1, now));
  auto signer =
      must(identity::message_signer::create(std::move(issued.key), std::move(issued.certificate)));
  return {std::move(ca), std::move(signer)};
}

overlay_config office_overlay() {
  overlay_config o;
  o.name = overlay_name;
  o.bootstrap_nodes = {{"192.0.2.10", 6084}, {"2001:db8::1", 7000}};
  o.turn_density = 20;
  o.no_ice = true;
  o.clients_permitted = false;
  o.max_message_size = 4000;
  o.initial_ttl = 30;
  o.overlay_reliability_timer = std::chrono::milliseconds(2500);
  o.chord_update_interval = std::chrono::seconds(400);
  o.chord_ping_interval = std::chrono::seconds(30);
  o.chord_reactive = false;
  o.bad_nodes = {*wire::node_id::from_hex("6ebc45d31a900c06aabbccddeeff0011")};
  o.kinds = {{wire::kind_id{1}, kind_data_model::dictionary, kind_access_control::user_match, 10,
              2000, std::nullopt},
             {wire::kind_id{4000}, kind_data_model::array, kind_access_control::node_multiple, 22,
              1024, 3}};
  o.enrollment_server = "https://ca.office.example:8443/";
  return o;
}

std::string write(signing_ca& s, const overlay_config& overlay = office_overlay(),
                  std::chrono::seconds lifetime = std::chrono::hours(24),
                  std::uint16_t sequence = 7) {
  document_issue issue;
  issue.sequence = sequence;
  issue.expiration = std::chrono::system_clock::now() + lifetime;
  issue.root_certs = {s.ca.root()};
  issue.enrollment_servers = {"https://ca.office.example:8443/"};
  return must(write_overlay_document(overlay, issue, s.signer));
}

std::string parse_error(std::string_view xml, std::string_view name = overlay_name) {
  const auto parsed = parse_overlay_document(xml, name, "doc.xml");
  if (parsed) return "";
  return parsed.error().describe();
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::array<std::uint8_t, 32> fingerprint(const identity::node_certificate& cert) {
  std::array<std::uint8_t, 32> out{};
  unsigned length = 0;
  X509_digest(cert.native(), EVP_sha256(), out.data(), &length);
  return out;
}

const auto now = [] { return std::chrono::system_clock::now(); };

}  // namespace

TEST_CASE("a written document parses back to the same overlay and verifies") {
  auto s = make_signing_ca();
  const auto xml = write(s);
  const auto document = must(parse_overlay_document(xml, overlay_name, "doc.xml"));
  auto expected = office_overlay();
  CHECK(document.overlay == expected);
  CHECK(document.sequence == 7);
  REQUIRE(document.root_certs.size() == 1);
  CHECK(document.root_certs[0] == s.ca.root());
  CHECK(document.configuration_signers == std::vector{s.signer.node()});
  CHECK(document.kinds.size() == 2);
  CHECK_FALSE(verify_overlay_document(document, {nullptr, fingerprint(s.ca.root())}, now()));
  // The signed blob is the configuration element byte for byte (§11.1).
  CHECK(document.configuration.blob.starts_with("<configuration instance-name=\"office.example\""));
  CHECK(document.configuration.blob.ends_with("</configuration>"));
  CHECK(xml.find(document.configuration.blob) != std::string::npos);
}

TEST_CASE("a tampered configuration, kind or signature is refused") {
  auto s = make_signing_ca();
  const auto xml = write(s);
  const auto check = [&](const std::string& tampered) {
    const auto document = must(parse_overlay_document(tampered, overlay_name, "doc.xml"));
    const auto refused = verify_overlay_document(document, {}, now());
    REQUIRE(refused);
    return *refused;
  };
  CHECK(check(replaced(xml, "<max-message-size>4000<", "<max-message-size>4001<"))
            .starts_with("bad signature: configuration"));
  // Whitespace counts too: the configuration is a binary blob.
  CHECK(check(replaced(xml, "\n  <no-ice>", "\n   <no-ice>"))
            .starts_with("bad signature: configuration"));
  CHECK(check(replaced(xml, "<max-count>22<", "<max-count>23<")).starts_with("bad signature"));
}

TEST_CASE("a document for another overlay, or without a signed configuration for it, is refused") {
  auto s = make_signing_ca();
  const auto xml = write(s);
  CHECK(parse_error(xml, "other.example") ==
        "doc.xml:2: no configuration for overlay other.example (the document has: office.example)");
  // A signature for another configuration does not cover this one.
  const auto unsigned_xml = replaced(xml, "<signature>",
                                     "<configuration instance-name=\"x.example\">"
                                     "<root-cert>AA==</root-cert></configuration><signature>");
  CHECK(parse_error(unsigned_xml).find("the configuration for office.example is not signed") !=
        std::string::npos);
}

TEST_CASE("only a listed signer chaining to the roots is accepted") {
  auto s = make_signing_ca();
  auto stranger = make_signing_ca();  // another CA for the same overlay name
  const auto genuine = must(parse_overlay_document(write(s), overlay_name, "doc.xml"));
  // Signed by a stranger's CA that lists itself: fine on its own, but not
  // after the genuine document (§11.1: signed by a signer of the previous one).
  const auto forged = must(parse_overlay_document(write(stranger), overlay_name, "doc.xml"));
  CHECK_FALSE(verify_overlay_document(forged, {}, now()));
  const auto refused = verify_overlay_document(forged, {&genuine, std::nullopt}, now());
  REQUIRE(refused);
  CHECK(refused->starts_with("bad signature: configuration: untrusted_chain"));
  // And on first contact the box's root fingerprint tells them apart.
  const auto pinned = verify_overlay_document(forged, {nullptr, fingerprint(s.ca.root())}, now());
  REQUIRE(pinned);
  CHECK(pinned->starts_with("root mismatch"));
}

TEST_CASE("expired documents and sequence numbers going back are refused") {
  auto s = make_signing_ca();
  const auto expired = must(parse_overlay_document(
      write(s, office_overlay(), std::chrono::seconds(-10)), overlay_name, "doc.xml"));
  CHECK(verify_overlay_document(expired, {}, now()).value_or("").starts_with("expired"));
  // A saved document stands in while the server is away: its expiration is
  // let pass, its signatures are still checked, at the present time.
  document_trust saved;
  saved.accept_expired = true;
  CHECK_FALSE(verify_overlay_document(expired, saved, now()));
  const auto tampered = must(parse_overlay_document(
      replaced(write(s, office_overlay(), std::chrono::seconds(-10)), "<max-message-size>4000<",
               "<max-message-size>4001<"),
      overlay_name, "doc.xml"));
  CHECK(verify_overlay_document(tampered, saved, now()).value_or("").starts_with("bad signature"));
  const auto newer = must(parse_overlay_document(
      write(s, office_overlay(), std::chrono::hours(1), 9), overlay_name, "doc.xml"));
  const auto older = must(parse_overlay_document(
      write(s, office_overlay(), std::chrono::hours(1), 8), overlay_name, "doc.xml"));
  CHECK(verify_overlay_document(older, {&newer, std::nullopt}, now()).value_or("") ==
        "sequence 8 is older than the 9 already known");
  CHECK_FALSE(verify_overlay_document(newer, {&older, std::nullopt}, now()));
}

TEST_CASE("malformed and unsupported documents are refused with the reason") {
  auto s = make_signing_ca();
  const auto xml = write(s);
  CHECK(parse_error("<overlay").starts_with("doc.xml:1: not well-formed XML"));
  CHECK(parse_error("<?xml version=\"1.0\"?><!DOCTYPE overlay [<!ENTITY a \"aaaa\">]><overlay/>") ==
        "doc.xml: a document type declaration is not allowed");
  CHECK(
      parse_error("<overlay xmlns=\"urn:other\"/>") ==
      "doc.xml:1: the document element is not <overlay> in urn:ietf:params:xml:ns:p2p:config-base");
  CHECK(parse_error(std::string(max_overlay_document_bytes + 1, ' ')) ==
        "doc.xml: larger than 262144 bytes");
  CHECK(parse_error(replaced(xml, "<no-ice>true</no-ice>", "<no-ice>yes</no-ice>"))
            .ends_with("<no-ice>: 'yes' is not true, false, 1 or 0"));
  CHECK(parse_error(
            replaced(xml, "<no-ice>true</no-ice>", "<no-ice>true</no-ice><no-ice>true</no-ice>"))
            .ends_with("<no-ice> appears twice"));
  CHECK(parse_error(replaced(xml, "<no-ice>", "<shared-secret>pw</shared-secret><no-ice>"))
            .ends_with("shared-secret mode is not supported: this overlay needs certificates"));
  CHECK(parse_error(
            replaced(xml, "<no-ice>", "<mandatory-extension>urn:x</mandatory-extension><no-ice>"))
            .ends_with("mandatory extension 'urn:x' is not supported by this node"));
  CHECK(parse_error(replaced(xml, "<node-id-length>16<", "<node-id-length>20<"))
            .ends_with("this node supports Node-IDs of 16 bytes only"));
  CHECK(parse_error(replaced(xml, "<no-ice>", "<frobnicate/><no-ice>"))
            .ends_with("<frobnicate> is not a configuration parameter (RFC 6940 §11.1.1)"));
  CHECK(parse_error(replaced(xml, "<signature>", "<signature>!!"))
            .ends_with("<signature> is not base64"));
  const auto open = xml.find("<signature>") + 11;
  const auto short_block = std::string(xml).replace(open, xml.find("</signature>") - open, "AAAA");
  CHECK(parse_error(short_block).find("<signature> is not a SecurityBlock") != std::string::npos);
  const auto expiration_at = xml.find("expiration=\"") + 12;
  for (const char* when : {"2300-01-01T00:00:00Z", "-957-01-01T00:00:00Z", "2026-13-01T00:00:00Z",
                           "2026-01-01T00:00:00+01:00"}) {
    const auto bad_time = std::string(xml).replace(expiration_at, 20, when);
    CHECK(parse_error(bad_time).find("is not a UTC date-time") != std::string::npos);
  }
  CHECK(parse_error(replaced(xml, "CHORD-RELOAD", "PASTRY"))
            .ends_with("topology plug-in 'PASTRY' is not supported (CHORD-RELOAD is)"));
  CHECK(parse_error(replaced(xml, "address=\"192.0.2.10\"", "address=\"boxes.example\""))
            .ends_with("<bootstrap-node> needs an address attribute with an IP address"));
  CHECK(parse_error(replaced(xml, "<kind-signature>", "<kind-signature>!"))
            .ends_with("is not base64"));
  // Foreign elements are skipped (§11.1.1 foreign-elements), and still signed.
  const auto foreign =
      replaced(xml, "<no-ice>", "<x:note xmlns:x=\"urn:example\">hi</x:note><no-ice>");
  CHECK(parse_error(foreign).empty());
}

TEST_CASE("the RFC's example document is refused for what this node cannot support") {
  // §11.1's example uses shared-secret mode and a mandatory extension.
  const std::string example =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\"\n"
      "   xmlns:ext=\"urn:ietf:params:xml:ns:p2p:config-ext1\"\n"
      "   xmlns:chord=\"urn:ietf:params:xml:ns:p2p:config-chord\">\n"
      "   <configuration instance-name=\"overlay.example.org\" sequence=\"22\"\n"
      "       expiration=\"2002-10-10T07:00:00Z\" ext:ext-example=\"stuff\" >\n"
      "       <topology-plugin> CHORD-RELOAD </topology-plugin>\n"
      "       <node-id-length>16</node-id-length>\n"
      "       <shared-secret> password </shared-secret>\n"
      "   </configuration>\n"
      "   <signature> VGhpcyBpcyBub3QgcmlnaHQhCg== </signature>\n"
      "</overlay>\n";
  CHECK(parse_error(example, "overlay.example.org") ==
        "doc.xml:9: shared-secret mode is not supported: this overlay needs certificates");
}
