// The RFC 6940 §11.1.1 RELAX NG grammar as compiled in: it compiles with
// libxml2, takes the RFC's own example and what p2psip-ca writes, and
// refuses a missing required element, a wrong type and an unknown attribute
// with the element and the line.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include <libxml/parser.h>

#include "daemon/overlay_document.hpp"
#include "daemon/overlay_grammar.hpp"
#include "identity/certificate_authority.hpp"

using namespace p2psip;
using namespace p2psip::daemon;

namespace {

template <class T, class E>
T must(wire::basic_result<T, E> r) {
  if (!r) FAIL(r.error().describe());
  return std::move(*r);
}

// The grammar's verdict on `xml`: "" when valid, else the error.
std::string violation(const std::string& xml) {
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8",
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      &xmlFreeDoc);
  REQUIRE(doc);
  const auto error = grammar_violation(doc.get(), "doc.xml");
  return error ? error->describe() : "";
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string rfc_example() {
  const char* dir = std::getenv("P2PSIP_TEST_DATA");
  REQUIRE(dir != nullptr);
  std::ifstream in(std::string(dir) + "/rfc6940_example_config.xml");
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A document as p2psip-ca writes it, for office.example.
std::string written_document() {
  const auto now = std::chrono::system_clock::now();
  auto ca = must(identity::certificate_authority::in_memory("office.example", now));
  auto issued = must(ca.enroll_offline("configuration-signer@office.example", 1, now));
  auto signer =
      must(identity::message_signer::create(std::move(issued.key), std::move(issued.certificate)));
  overlay_config overlay;
  overlay.name = "office.example";
  overlay.bootstrap_nodes = {{"192.0.2.10", 6084}};
  overlay.kinds = {{wire::kind_id{1}, kind_data_model::dictionary,
                    kind_access_control::user_node_match, 10, 2000, std::nullopt}};
  document_issue issue;
  issue.expiration = now + std::chrono::hours(1);
  issue.root_certs = {ca.root()};
  issue.enrollment_servers = {"https://10.0.0.1:8443/"};
  return must(write_overlay_document(overlay, issue, signer));
}

}  // namespace

TEST_CASE("the built-in grammar is the RFC's, converted to RELAX NG's XML syntax") {
  const auto grammar = rfc6940_config_grammar();
  CHECK(grammar.find("RFC 6940 §11.1.1") != std::string_view::npos);
  CHECK(grammar.find("<element name=\"configuration\">") != std::string_view::npos);
  CHECK(grammar.find("<data type=\"unsignedByte\"/>") != std::string_view::npos);
}

TEST_CASE("the RFC's example document and a written one follow the grammar") {
  // §11.1's example, verbatim: it compiles, and the example needs the one
  // line added for overlay-reliability-timer.
  const auto example = rfc_example();
  CHECK(example.find("<overlay-reliability-timer> 3000 </overlay-reliability-timer>") !=
        std::string::npos);
  CHECK(violation(example).empty());
  CHECK(violation(written_document()).empty());
}

TEST_CASE("the grammar refuses what it does not allow, naming the element and line") {
  const auto xml = written_document();
  // A required element missing: max-count in a kind.
  const auto without_count = std::string(xml).replace(
      xml.find("<max-count>"), xml.find("<max-size>") - xml.find("<max-count>"), "");
  const auto missing = violation(without_count);
  CHECK(missing.starts_with("doc.xml:"));
  CHECK_THAT(missing, Catch::Contains("does not follow the RFC 6940 §11.1.1 grammar: <kind>: "
                                      "Expecting an element max-count, got nothing"));
  // A wrong type: turn-density is an unsignedByte.
  const auto wrong_type = violation(
      replaced(xml, "<turn-density>1</turn-density>", "<turn-density>300</turn-density>"));
  // (Inside the configuration's interleave libxml2 names the element, not
  // the type.)
  CHECK_THAT(wrong_type,
             Catch::StartsWith("doc.xml:") &&
                 Catch::Contains("does not follow the RFC 6940 §11.1.1 grammar: ") &&
                 Catch::Contains("turn-density"));
  // A required attribute missing: self-signed-permitted's digest.
  CHECK_THAT(violation(replaced(xml, " digest=\"sha256\"", "")),
             Catch::Contains("<self-signed-permitted>: Element self-signed-permitted failed to "
                             "validate attributes"));
  // Elements of the base namespace the grammar does not define.
  CHECK_THAT(violation(replaced(xml, "<no-ice>", "<frobnicate/><no-ice>")),
             Catch::Contains("does not follow the RFC 6940 §11.1.1 grammar"));
}

TEST_CASE("parsing refuses a document the reader would take but the grammar does not") {
  const auto xml = written_document();
  // An attribute bootstrap-node does not have (the reader ignores it).
  const auto with_weight = replaced(xml, "<bootstrap-node address=\"192.0.2.10\"",
                                    "<bootstrap-node weight=\"2\" address=\"192.0.2.10\"");
  const auto parsed = parse_overlay_document(with_weight, "office.example", "doc.xml");
  REQUIRE_FALSE(parsed);
  CHECK_THAT(parsed.error().describe(),
             Catch::StartsWith("doc.xml:") &&
                 Catch::Contains("does not follow the RFC 6940 §11.1.1 grammar: <bootstrap-node>"));
  CHECK(parse_overlay_document(xml, "office.example", "doc.xml"));
}
