#include "daemon/overlay_document.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <set>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "daemon/overlay_grammar.hpp"
#include "identity/certificate_cache.hpp"
#include "identity/certificate_verifier.hpp"
#include "identity/signature_verifier.hpp"
#include "wire/codec.hpp"

namespace p2psip::daemon {
namespace {

constexpr std::string_view base_ns = "urn:ietf:params:xml:ns:p2p:config-base";
constexpr std::string_view chord_ns = "urn:ietf:params:xml:ns:p2p:config-chord";
constexpr std::size_t max_elements = 4096;
constexpr int max_depth = 32;

// --- writing ------------------------------------------------------------------

std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(length, 0)));
  return out;
}

std::string rfc3339(identity::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

const char* kind_name(wire::kind_id id) {
  switch (id.value) {
    case 1: return "SIP-REGISTRATION";
    case 2: return "TURN-SERVICE";
    case 3: return "CERTIFICATE_BY_NODE";
    case 16: return "CERTIFICATE_BY_USER";
    default: return nullptr;
  }
}

std::string kind_element(const kind_config& kind) {
  static const char* const models[] = {"SINGLE", "ARRAY", "DICTIONARY"};
  static const char* const policies[] = {"USER-MATCH", "NODE-MATCH", "USER-NODE-MATCH",
                                         "NODE-MULTIPLE"};
  std::string out = "<kind ";
  if (const char* name = kind_name(kind.id)) {
    out += "name=\"" + std::string(name) + "\">";
  } else {
    out += "id=\"" + std::to_string(kind.id.value) + "\">";
  }
  out += "<data-model>" + std::string(models[static_cast<int>(kind.data_model)]) + "</data-model>";
  out += "<access-control>" + std::string(policies[static_cast<int>(kind.access_control)]) +
         "</access-control>";
  out += "<max-count>" + std::to_string(kind.max_count) + "</max-count>";
  out += "<max-size>" + std::to_string(kind.max_size) + "</max-size>";
  if (kind.max_node_multiple) {
    out += "<max-node-multiple>" + std::to_string(*kind.max_node_multiple) + "</max-node-multiple>";
  }
  return out + "</kind>";
}

std::optional<std::string> signed_base64(identity::message_signer& signer, std::string_view blob) {
  auto block =
      signer.sign_blob(std::span(reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()));
  if (!block) return std::nullopt;
  auto bytes = wire::to_bytes(*block);
  if (!bytes) return std::nullopt;
  return base64(*bytes);
}

std::string element(std::string_view name, std::string_view text) {
  return "\n  <" + std::string(name) + ">" + escape(text) + "</" + std::string(name) + ">";
}

std::string boolean(bool value) { return value ? "true" : "false"; }

std::array<std::uint8_t, 32> sha256_of(const identity::node_certificate& cert) {
  std::array<std::uint8_t, 32> out{};
  unsigned length = 0;
  X509_digest(cert.native(), EVP_sha256(), out.data(), &length);
  return out;
}

// --- reading ------------------------------------------------------------------

struct xml_doc_deleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct xml_ctxt_deleter {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

// Where each element of a well-formed document starts (its '<') and ends
// (after the '>' of its end tag), in document order: the byte-exact blobs
// §11.1 signs, which a parsed tree no longer has.
struct element_span {
  std::string qname;
  std::size_t begin = 0;
  std::size_t end = 0;
};

std::optional<std::vector<element_span>> element_spans(std::string_view text) {
  std::vector<element_span> spans;
  std::vector<std::size_t> open;
  std::size_t i = 0;
  const auto skip_past = [&](std::string_view terminator) {
    const auto at = text.find(terminator, i);
    if (at == std::string_view::npos) return false;
    i = at + terminator.size();
    return true;
  };
  while ((i = text.find('<', i)) != std::string_view::npos) {
    const std::string_view rest = text.substr(i);
    if (rest.starts_with("<!--")) {
      if (!skip_past("-->")) return std::nullopt;
    } else if (rest.starts_with("<![CDATA[")) {
      if (!skip_past("]]>")) return std::nullopt;
    } else if (rest.starts_with("<?")) {
      if (!skip_past("?>")) return std::nullopt;
    } else if (rest.starts_with("</")) {
      if (!skip_past(">") || open.empty()) return std::nullopt;
      spans[open.back()].end = i;
      open.pop_back();
    } else if (rest.starts_with("<!")) {
      return std::nullopt;  // a DTD: refused before this runs
    } else {
      const std::size_t begin = i;
      std::size_t name_end = i + 1;
      while (name_end < text.size() && std::strchr(" \t\r\n/>", text[name_end]) == nullptr) {
        ++name_end;
      }
      // To the tag's '>', past quoted attribute values that may hold one.
      char quote = 0;
      std::size_t j = name_end;
      for (; j < text.size(); ++j) {
        if (quote != 0) {
          if (text[j] == quote) quote = 0;
        } else if (text[j] == '"' || text[j] == '\'') {
          quote = text[j];
        } else if (text[j] == '>') {
          break;
        }
      }
      if (j == text.size()) return std::nullopt;
      spans.push_back({std::string(text.substr(begin + 1, name_end - begin - 1)), begin, 0});
      if (text[j - 1] == '/') {
        spans.back().end = j + 1;
      } else {
        open.push_back(spans.size() - 1);
      }
      i = j + 1;
    }
  }
  if (!open.empty()) return std::nullopt;
  return spans;
}

// Errors carry the document's name and the element's line.
struct document_failure {
  config_error error;
};

class reader {
 public:
  reader(std::string_view source, std::string_view text, std::vector<element_span> spans)
      : source_(source), text_(text), spans_(std::move(spans)) {}

  [[noreturn]] void fail(const xmlNode* at, const std::string& reason) const {
    throw document_failure{
        config_error{source_, at != nullptr ? static_cast<int>(xmlGetLineNo(at)) : 0, 0, reason}};
  }

  // The raw bytes of an element, found by its position in document order.
  std::string blob(const xmlNode* node) const {
    const auto it = index_.find(node);
    if (it == index_.end() || it->second >= spans_.size()) fail(node, "element out of place");
    const auto& span = spans_[it->second];
    return std::string(text_.substr(span.begin, span.end - span.begin));
  }

  // Numbers every element in document order and checks it against the raw scan.
  void index(const xmlNode* root) {
    std::size_t next = 0;
    walk(root, next, 0);
    if (next != spans_.size()) fail(root, "the document's elements could not be located");
  }

 private:
  void walk(const xmlNode* node, std::size_t& next, int depth) {
    if (depth > max_depth) fail(node, "elements nested deeper than " + std::to_string(max_depth));
    if (next >= spans_.size()) fail(node, "the document's elements could not be located");
    std::string qname;
    if (node->ns != nullptr && node->ns->prefix != nullptr) {
      qname = reinterpret_cast<const char*>(node->ns->prefix) + std::string(":");
    }
    qname += reinterpret_cast<const char*>(node->name);
    if (spans_[next].qname != qname) fail(node, "the document's elements could not be located");
    index_[node] = next++;
    for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
      if (child->type == XML_ELEMENT_NODE) walk(child, next, depth + 1);
    }
  }

  std::string source_;
  std::string_view text_;
  std::vector<element_span> spans_;
  std::map<const xmlNode*, std::size_t> index_;
};

bool in_namespace(const xmlNode* node, std::string_view ns) {
  return node->ns != nullptr && node->ns->href != nullptr &&
         reinterpret_cast<const char*>(node->ns->href) == ns;
}

std::string name_of(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

// Text content with XML Schema whitespace collapsed at the ends; child
// elements are refused.
std::string text_of(const reader& r, const xmlNode* node) {
  std::string out;
  for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
    if (child->type == XML_ELEMENT_NODE)
      r.fail(node, "<" + name_of(node) + "> must hold text only");
    if (child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) {
      out += reinterpret_cast<const char*>(child->content);
    }
  }
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return out.substr(first, out.find_last_not_of(" \t\r\n") - first + 1);
}

// Elements with element content: whitespace between them only.
void refuse_text(const reader& r, const xmlNode* child, const char* parent) {
  if (child->type != XML_TEXT_NODE && child->type != XML_CDATA_SECTION_NODE) return;
  const std::string text = reinterpret_cast<const char*>(child->content);
  if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
    r.fail(child, std::string("text directly inside ") + parent);
  }
}

std::optional<std::string> attribute(const xmlNode* node, const char* name) {
  xmlChar* value = xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name));
  if (value == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

std::int64_t integer(const reader& r, const xmlNode* node, std::string_view text, std::int64_t min,
                     std::int64_t max) {
  const auto refuse = [&] {
    r.fail(node, "<" + name_of(node) + ">: '" + std::string(text) + "' is not an integer in " +
                     std::to_string(min) + ".." + std::to_string(max));
  };
  std::string_view digits = text;
  const bool negative = digits.starts_with('-');
  if (negative || digits.starts_with('+')) digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 12) refuse();
  std::int64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') refuse();
    value = value * 10 + (c - '0');
  }
  if (negative) value = -value;
  if (value < min || value > max) refuse();
  return value;
}

std::int64_t integer(const reader& r, const xmlNode* node, std::int64_t min, std::int64_t max) {
  return integer(r, node, text_of(r, node), min, max);
}

// xsd:boolean: true, false, 1 or 0.
bool boolean_of(const reader& r, const xmlNode* node) {
  const auto text = text_of(r, node);
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  r.fail(node, "<" + name_of(node) + ">: '" + text + "' is not true, false, 1 or 0");
}

// xsd:base64Binary, whitespace allowed anywhere.
std::vector<std::uint8_t> base64_of(const reader& r, const xmlNode* node) {
  std::string compact;
  for (const char c : text_of(r, node)) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    const bool valid =
        std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
    if (!valid) r.fail(node, "<" + name_of(node) + "> is not base64");
    compact += c;
  }
  const auto padding = compact.size() - std::min(compact.size(), compact.find_last_not_of('=') + 1);
  if (compact.empty() || compact.size() % 4 != 0 || padding > 2 ||
      compact.find('=') < compact.size() - padding) {
    r.fail(node, "<" + name_of(node) + "> is not base64");
  }
  std::vector<std::uint8_t> out(compact.size() / 4 * 3);
  const int length =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(compact.data()),
                      static_cast<int>(compact.size()));
  if (length < 0) r.fail(node, "<" + name_of(node) + "> is not base64");
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

wire::security_block security_block_of(const reader& r, const xmlNode* node) {
  const auto bytes = base64_of(r, node);
  auto block = wire::from_bytes<wire::security_block>(bytes);
  if (!block)
    r.fail(node, "<" + name_of(node) + "> is not a SecurityBlock: " + block.error().describe());
  return std::move(*block);
}

wire::node_id node_id_of(const reader& r, const xmlNode* node) {
  const auto text = text_of(r, node);
  auto id = wire::node_id::from_hex(text);
  if (!id) r.fail(node, "<" + name_of(node) + ">: '" + text + "' is not a 16-byte Node-ID in hex");
  return *id;
}

// Elements of the configuration that may appear at most once.
const std::set<std::string, std::less<>> single_elements = {"topology-plugin",
                                                            "max-message-size",
                                                            "initial-ttl",
                                                            "required-kinds",
                                                            "no-ice",
                                                            "shared-secret",
                                                            "clients-permitted",
                                                            "turn-density",
                                                            "node-id-length",
                                                            "self-signed-permitted",
                                                            "overlay-reliability-timer",
                                                            "chord-ping-interval",
                                                            "chord-update-interval",
                                                            "chord-reactive"};

std::optional<std::uint32_t> kind_by_name(std::string_view name) {
  for (std::uint32_t id : {1u, 2u, 3u, 16u}) {
    if (name == kind_name(wire::kind_id{id})) return id;
  }
  return std::nullopt;
}

kind_config read_kind(const reader& r, const xmlNode* node) {
  kind_config kind;
  const auto name = attribute(node, "name");
  const auto id = attribute(node, "id");
  if (name.has_value() == id.has_value())
    r.fail(node, "<kind> needs either a name or an id attribute");
  if (name) {
    const auto known = kind_by_name(*name);
    if (!known) r.fail(node, "<kind name=\"" + *name + "\">: a Kind this node does not know");
    kind.id = wire::kind_id{*known};
  } else {
    kind.id = wire::kind_id{static_cast<std::uint32_t>(integer(r, node, *id, 1, 0xffffffff))};
  }
  std::set<std::string> seen;
  for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
    if (child->type != XML_ELEMENT_NODE) continue;
    if (!in_namespace(child, base_ns)) {
      if (child->ns == nullptr) r.fail(child, "<" + name_of(child) + "> has no namespace");
      continue;  // foreign-elements
    }
    const auto element_name = name_of(child);
    if (!seen.insert(element_name).second) r.fail(child, "<" + element_name + "> appears twice");
    if (element_name == "data-model") {
      const auto text = text_of(r, child);
      if (text == "SINGLE")
        kind.data_model = kind_data_model::single_value;
      else if (text == "ARRAY")
        kind.data_model = kind_data_model::array;
      else if (text == "DICTIONARY")
        kind.data_model = kind_data_model::dictionary;
      else
        r.fail(child, "<data-model>: '" + text + "' is not SINGLE, ARRAY or DICTIONARY");
    } else if (element_name == "access-control") {
      const auto text = text_of(r, child);
      if (text == "USER-MATCH")
        kind.access_control = kind_access_control::user_match;
      else if (text == "NODE-MATCH")
        kind.access_control = kind_access_control::node_match;
      else if (text == "USER-NODE-MATCH")
        kind.access_control = kind_access_control::user_node_match;
      else if (text == "NODE-MULTIPLE")
        kind.access_control = kind_access_control::node_multiple;
      else
        r.fail(child,
               "<access-control>: '" + text + "' is not an access control policy this node knows");
    } else if (element_name == "max-count") {
      kind.max_count = static_cast<std::uint32_t>(integer(r, child, 1, 0x7fffffff));
    } else if (element_name == "max-size") {
      kind.max_size = static_cast<std::uint32_t>(integer(r, child, 1, 0x7fffffff));
    } else if (element_name == "max-node-multiple") {
      kind.max_node_multiple = static_cast<std::uint32_t>(integer(r, child, 1, 0x7fffffff));
    } else {
      r.fail(child, "<kind> may not contain <" + element_name + ">");
    }
  }
  for (const char* required : {"data-model", "access-control", "max-count", "max-size"}) {
    if (!seen.contains(required)) r.fail(node, "<kind> lacks <" + std::string(required) + ">");
  }
  const bool multiple = kind.access_control == kind_access_control::node_multiple;
  if (multiple != kind.max_node_multiple.has_value()) {
    r.fail(node, "<max-node-multiple> is required with NODE-MULTIPLE and only with it");
  }
  return kind;
}

void read_kind_block(const reader& r, const xmlNode* block, overlay_document& out) {
  const xmlNode* kind = nullptr;
  const xmlNode* signature = nullptr;
  for (const xmlNode* child = block->children; child != nullptr; child = child->next) {
    if (child->type != XML_ELEMENT_NODE) continue;
    const auto element_name = name_of(child);
    const xmlNode** slot = !in_namespace(child, base_ns)      ? nullptr
                           : element_name == "kind"           ? &kind
                           : element_name == "kind-signature" ? &signature
                                                              : nullptr;
    if (slot == nullptr) r.fail(child, "<kind-block> may not contain <" + element_name + ">");
    if (*slot != nullptr) r.fail(child, "<" + element_name + "> appears twice");
    *slot = child;
  }
  if (kind == nullptr) r.fail(block, "<kind-block> lacks <kind>");
  // §11.1: receivers MUST verify it before accepting the kind.
  if (signature == nullptr) r.fail(block, "<kind-block> lacks <kind-signature>");
  const auto parsed = read_kind(r, kind);
  for (const auto& k : out.overlay.kinds) {
    if (k.id == parsed.id)
      r.fail(kind, "kind " + std::to_string(parsed.id.value) + " is defined twice");
  }
  out.overlay.kinds.push_back(parsed);
  out.kinds.push_back({r.blob(kind), security_block_of(r, signature)});
}

bool is_ip_literal(const std::string& text) {
  in6_addr scratch{};
  return ::inet_pton(AF_INET, text.c_str(), &scratch) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), &scratch) == 1;
}

void read_parameter(const reader& r, const xmlNode* node, overlay_document& out,
                    std::vector<std::string>& link_protocols) {
  auto& o = out.overlay;
  const auto name = name_of(node);
  if (in_namespace(node, chord_ns)) {
    if (name == "chord-ping-interval") {
      o.chord_ping_interval = std::chrono::seconds(integer(r, node, 1, 86400));
    } else if (name == "chord-update-interval") {
      o.chord_update_interval = std::chrono::seconds(integer(r, node, 1, 86400));
    } else if (name == "chord-reactive") {
      o.chord_reactive = boolean_of(r, node);
    } else {
      r.fail(node, "<chord:" + name + "> is not a CHORD-RELOAD parameter");
    }
    return;
  }
  if (name == "topology-plugin") {
    const auto text = text_of(r, node);
    if (text != "CHORD-RELOAD")
      r.fail(node, "topology plug-in '" + text + "' is not supported (CHORD-RELOAD is)");
  } else if (name == "node-id-length") {
    if (integer(r, node, 16, 20) != 16)
      r.fail(node, "this node supports Node-IDs of 16 bytes only");
  } else if (name == "max-message-size") {
    o.max_message_size = static_cast<std::uint32_t>(integer(r, node, 512, (1 << 24) - 1));
  } else if (name == "initial-ttl") {
    o.initial_ttl = static_cast<std::uint8_t>(integer(r, node, 1, 255));
  } else if (name == "overlay-reliability-timer") {
    o.overlay_reliability_timer = std::chrono::milliseconds(integer(r, node, 200, 600000));
  } else if (name == "root-cert") {
    const auto der = base64_of(r, node);
    auto cert = identity::node_certificate::from_der(der);
    if (!cert) r.fail(node, "<root-cert> is not an X.509 certificate: " + cert.error().detail);
    out.root_certs.push_back(std::move(*cert));
  } else if (name == "enrollment-server") {
    const auto url = text_of(r, node);
    if (!url.starts_with("https://") || url.size() <= 8 || url.size() > 2048) {
      r.fail(node, "<enrollment-server>: '" + url + "' is not an https: URL");
    }
    out.enrollment_servers.push_back(url);
  } else if (name == "self-signed-permitted") {
    const auto digest = attribute(node, "digest");
    if (!digest) r.fail(node, "<self-signed-permitted> lacks its digest attribute");
    if (*digest == "sha1")
      o.digest = self_signed_digest::sha1;
    else if (*digest == "sha256")
      o.digest = self_signed_digest::sha256;
    else
      r.fail(node, "self-signed digest '" + *digest + "' is not sha1 or sha256");
    o.self_signed_permitted = boolean_of(r, node);
  } else if (name == "bootstrap-node") {
    const auto address = attribute(node, "address");
    if (!address || !is_ip_literal(*address)) {
      r.fail(node, "<bootstrap-node> needs an address attribute with an IP address");
    }
    host_port where{*address, default_overlay_port};
    if (const auto port = attribute(node, "port")) {
      where.port = static_cast<std::uint16_t>(integer(r, node, *port, 1, 65535));
    }
    o.bootstrap_nodes.push_back(where);
  } else if (name == "turn-density") {
    o.turn_density = static_cast<std::uint32_t>(integer(r, node, 0, 255));
  } else if (name == "clients-permitted") {
    o.clients_permitted = boolean_of(r, node);
  } else if (name == "no-ice") {
    o.no_ice = boolean_of(r, node);
  } else if (name == "shared-secret") {
    r.fail(node, "shared-secret mode is not supported: this overlay needs certificates");
  } else if (name == "overlay-link-protocol") {
    link_protocols.push_back(text_of(r, node));
  } else if (name == "kind-signer") {
    out.kind_signers.push_back(node_id_of(r, node));
  } else if (name == "configuration-signer") {
    out.configuration_signers.push_back(node_id_of(r, node));
  } else if (name == "bad-node") {
    o.bad_nodes.push_back(node_id_of(r, node));
  } else if (name == "mandatory-extension") {
    r.fail(node, "mandatory extension '" + text_of(r, node) + "' is not supported by this node");
  } else if (name == "required-kinds") {
    for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
      if (child->type != XML_ELEMENT_NODE) continue;
      if (!in_namespace(child, base_ns) || name_of(child) != "kind-block") {
        r.fail(child, "<required-kinds> may contain only <kind-block>");
      }
      read_kind_block(r, child, out);
    }
  } else {
    r.fail(node, "<" + name + "> is not a configuration parameter (RFC 6940 §11.1.1)");
  }
}

std::optional<identity::time_point> parse_rfc3339_utc(std::string_view text) {
  // xsd:dateTime in UTC as §11.1 demands: YYYY-MM-DDTHH:MM:SS[.fff]Z.
  if (text.size() < 20 || text.size() > 32 || text.back() != 'Z') return std::nullopt;
  std::tm tm{};
  const std::string head(text.substr(0, 19));
  const char* end = strptime(head.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto fraction = text.substr(19, text.size() - 20);
  if (!fraction.empty() &&
      (fraction[0] != '.' || fraction.size() < 2 ||
       fraction.substr(1).find_first_not_of("0123456789") != std::string_view::npos)) {
    return std::nullopt;
  }
  // 1970 to 2199: system_clock counts nanoseconds in 64 bits, which ends in
  // 2262 (found by fuzz_overlay_document: a year far out overflowed).
  constexpr std::time_t year_2200 = 7258118400;
  const std::time_t seconds = timegm(&tm);
  if (seconds < 0 || seconds >= year_2200) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds);
}

void read_configuration(const reader& r, const xmlNode* node, overlay_document& out) {
  out.overlay.name = *attribute(node, "instance-name");
  if (const auto sequence = attribute(node, "sequence")) {
    out.sequence = static_cast<std::uint16_t>(integer(r, node, *sequence, 0, 65534));
  }
  if (const auto expiration = attribute(node, "expiration")) {
    out.expiration = parse_rfc3339_utc(*expiration);
    if (!out.expiration)
      r.fail(node,
             "expiration '" + *expiration + "' is not a UTC date-time like 2026-12-31T00:00:00Z");
  }
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    const std::string attr_name = reinterpret_cast<const char*>(a->name);
    const bool own = a->ns == nullptr;
    if (own && attr_name != "instance-name" && attr_name != "sequence" &&
        attr_name != "expiration") {
      r.fail(node, "<configuration> has no attribute " + attr_name);
    }
  }
  std::set<std::string> seen;
  std::vector<std::string> link_protocols;
  for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
    refuse_text(r, child, "<configuration>");
    if (child->type != XML_ELEMENT_NODE) continue;
    if (child->ns == nullptr) r.fail(child, "<" + name_of(child) + "> has no namespace");
    if (!in_namespace(child, base_ns) && !in_namespace(child, chord_ns)) continue;  // foreign
    const auto element_name = name_of(child);
    if (single_elements.contains(element_name) && !seen.insert(element_name).second) {
      r.fail(child, "<" + element_name + "> appears twice");
    }
    read_parameter(r, child, out, link_protocols);
  }
  if (!link_protocols.empty() &&
      std::find(link_protocols.begin(), link_protocols.end(), "TLS") == link_protocols.end()) {
    r.fail(node,
           "the overlay link protocols listed do not include TLS, the only one this node speaks");
  }
  if (out.enrollment_servers.size() > 0)
    out.overlay.enrollment_server = out.enrollment_servers.front();
  if (!out.overlay.self_signed_permitted && out.root_certs.empty()) {
    r.fail(node, "no <root-cert>, and self-signed certificates are not permitted");
  }
}

overlay_document read_document(const reader& r, const xmlNode* root,
                               std::string_view overlay_name) {
  if (!in_namespace(root, base_ns) || name_of(root) != "overlay") {
    r.fail(root, "the document element is not <overlay> in " + std::string(base_ns));
  }
  std::vector<std::string> names;
  const xmlNode* chosen = nullptr;
  const xmlNode* signature = nullptr;
  const xmlNode* previous = nullptr;
  for (const xmlNode* child = root->children; child != nullptr; child = child->next) {
    refuse_text(r, child, "<overlay>");
    if (child->type != XML_ELEMENT_NODE) continue;
    if (child->ns == nullptr) r.fail(child, "<" + name_of(child) + "> has no namespace");
    if (!in_namespace(child, base_ns))
      r.fail(child, "<overlay> may contain only <configuration> and <signature>");
    const auto element_name = name_of(child);
    if (element_name == "configuration") {
      const auto instance = attribute(child, "instance-name");
      if (!instance) r.fail(child, "<configuration> lacks instance-name");
      names.push_back(*instance);
      if (strcasecmp(instance->c_str(), std::string(overlay_name).c_str()) == 0) {
        if (chosen != nullptr) r.fail(child, "two configurations for " + *instance);
        chosen = child;
      }
    } else if (element_name == "signature") {
      if (previous == nullptr || name_of(previous) != "configuration") {
        r.fail(child, "<signature> must follow a <configuration>");
      }
      if (previous == chosen) signature = child;
    } else {
      r.fail(child, "<overlay> may contain only <configuration> and <signature>");
    }
    previous = child;
  }
  if (chosen == nullptr) {
    std::string listed;
    for (const auto& n : names) listed += (listed.empty() ? "" : ", ") + n;
    r.fail(root, "no configuration for overlay " + std::string(overlay_name) +
                     " (the document has: " + (listed.empty() ? "none" : listed) + ")");
  }
  if (signature == nullptr)
    r.fail(chosen, "the configuration for " + std::string(overlay_name) + " is not signed");
  overlay_document out;
  read_configuration(r, chosen, out);
  out.configuration = {r.blob(chosen), security_block_of(r, signature)};
  return out;
}

}  // namespace

config_result<std::string> write_overlay_document(const overlay_config& overlay,
                                                  const document_issue& issue,
                                                  identity::message_signer& signer) {
  const auto fail = [&](const std::string& why) -> config_error {
    return config_error{"<overlay document>", 0, 0, why};
  };
  std::string body;
  body += element("topology-plugin", "CHORD-RELOAD");
  body += element("node-id-length", "16");
  for (const auto& root : issue.root_certs) body += element("root-cert", base64(root.der()));
  for (const auto& url : issue.enrollment_servers) body += element("enrollment-server", url);
  body += "\n  <self-signed-permitted digest=\"" +
          std::string(overlay.digest == self_signed_digest::sha1 ? "sha1" : "sha256") + "\">" +
          boolean(overlay.self_signed_permitted) + "</self-signed-permitted>";
  for (const auto& node : overlay.bootstrap_nodes) {
    if (!is_ip_literal(node.host)) {
      return fail("bootstrap node " + node.host + " is not an IP address, as §11.1 requires");
    }
    body += "\n  <bootstrap-node address=\"" + escape(node.host) + "\" port=\"" +
            std::to_string(node.port) + "\"/>";
  }
  if (overlay.turn_density > 255) return fail("turn-density above 255 (§11.1.1: unsignedByte)");
  body += element("turn-density", std::to_string(overlay.turn_density));
  body += element("clients-permitted", boolean(overlay.clients_permitted));
  body += element("no-ice", boolean(overlay.no_ice));
  body +=
      element("chord:chord-update-interval", std::to_string(overlay.chord_update_interval.count()));
  body += element("chord:chord-ping-interval", std::to_string(overlay.chord_ping_interval.count()));
  body += element("chord:chord-reactive", boolean(overlay.chord_reactive));
  body += element("max-message-size", std::to_string(overlay.max_message_size));
  body += element("initial-ttl", std::to_string(overlay.initial_ttl));
  body += element("overlay-reliability-timer",
                  std::to_string(overlay.overlay_reliability_timer.count()));
  body += element("overlay-link-protocol", "TLS");
  body += element("configuration-signer", signer.node().hex());
  body += element("kind-signer", signer.node().hex());
  for (const auto& bad : overlay.bad_nodes) body += element("bad-node", bad.hex());
  if (!overlay.kinds.empty()) {
    body += "\n  <required-kinds>";
    for (const auto& kind : overlay.kinds) {
      const auto kind_xml = kind_element(kind);
      const auto signature = signed_base64(signer, kind_xml);
      if (!signature) return fail("cannot sign kind " + std::to_string(kind.id.value));
      body += "\n    <kind-block>" + kind_xml + "<kind-signature>" + *signature +
              "</kind-signature></kind-block>";
    }
    body += "\n  </required-kinds>";
  }
  const std::string configuration = "<configuration instance-name=\"" + escape(overlay.name) +
                                    "\" sequence=\"" + std::to_string(issue.sequence) +
                                    "\" expiration=\"" + rfc3339(issue.expiration) + "\">" + body +
                                    "\n</configuration>";
  const auto signature = signed_base64(signer, configuration);
  if (!signature) return fail("cannot sign the configuration");
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<overlay xmlns=\"" + std::string(base_ns) +
         "\" xmlns:chord=\"" + std::string(chord_ns) + "\">\n" + configuration + "\n<signature>" +
         *signature + "</signature>\n</overlay>\n";
}

config_result<overlay_document> parse_overlay_document(std::string_view xml,
                                                       std::string_view overlay_name,
                                                       std::string_view source) {
  const auto refuse = [&](const std::string& why, int line = 0) {
    return config_error{std::string(source), line, 0, why};
  };
  if (xml.size() > max_overlay_document_bytes) {
    return refuse("larger than " + std::to_string(max_overlay_document_bytes) + " bytes");
  }
  // No DTD at all: no entity expansion, no external subsets to fetch.
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return refuse("a document type declaration is not allowed");
  }
  const auto spans = element_spans(xml);
  std::unique_ptr<xmlParserCtxt, xml_ctxt_deleter> ctxt(xmlNewParserCtxt());
  if (!ctxt) return refuse("out of memory");
  std::unique_ptr<xmlDoc, xml_doc_deleter> doc(xmlCtxtReadMemory(
      ctxt.get(), xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8",
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA));
  if (!doc || !ctxt->wellFormed) {
    const xmlError* error = xmlCtxtGetLastError(ctxt.get());
    std::string why =
        error != nullptr && error->message != nullptr ? error->message : "not well-formed";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return refuse("not well-formed XML: " + why, error != nullptr ? error->line : 0);
  }
  if (!spans || spans->size() > max_elements) {
    return refuse(spans ? "more than " + std::to_string(max_elements) + " elements"
                        : "the document's elements could not be located");
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return refuse("no document element");
  try {
    reader r(source, xml, *spans);
    r.index(root);
    auto document = read_document(r, root, overlay_name);
    // After the reader, whose reasons are the more specific: what it lets
    // through must still follow the RFC's grammar.
    if (auto invalid = grammar_violation(doc.get(), source)) return *invalid;
    return document;
  } catch (const document_failure& failure) {
    return failure.error;
  }
}

std::optional<std::string> verify_overlay_document(const overlay_document& document,
                                                   const document_trust& trust,
                                                   identity::time_point now) {
  if (!trust.accept_expired && document.expiration && *document.expiration <= now) {
    return "expired: the configuration's expiration has passed";
  }
  const overlay_document& authority = trust.previous != nullptr ? *trust.previous : document;
  if (trust.previous != nullptr && document.sequence < trust.previous->sequence) {
    return "sequence " + std::to_string(document.sequence) + " is older than the " +
           std::to_string(trust.previous->sequence) + " already known";
  }
  if (trust.pinned_root) {
    const bool listed = std::any_of(document.root_certs.begin(), document.root_certs.end(),
                                    [&](const identity::node_certificate& root) {
                                      return sha256_of(root) == *trust.pinned_root;
                                    });
    if (!listed)
      return "root mismatch: the document's root-cert is not the root this box was given";
  }
  const identity::certificate_verifier certificates(
      {document.overlay.name, authority.root_certs, false, wire::hash_algorithm::sha256});
  identity::certificate_cache cache;
  identity::signature_verifier signatures(certificates, cache);
  const auto check = [&](const signed_element& element, const std::vector<wire::node_id>& signers,
                         const std::string& what) -> std::optional<std::string> {
    const auto verified = signatures.verify_blob(
        element.signature,
        std::span(reinterpret_cast<const std::uint8_t*>(element.blob.data()), element.blob.size()),
        now);
    if (!verified) return "bad signature: " + what + ": " + verified.error().describe();
    if (std::find(signers.begin(), signers.end(), verified->node) == signers.end()) {
      return "bad signature: " + what + " is signed by " + verified->node.hex() +
             ", which is not a listed signer";
    }
    return std::nullopt;
  };
  if (auto refused =
          check(document.configuration, authority.configuration_signers, "configuration")) {
    return refused;
  }
  for (std::size_t i = 0; i < document.kinds.size(); ++i) {
    if (auto refused = check(document.kinds[i], document.kind_signers,
                             "kind " + std::to_string(document.overlay.kinds[i].id.value))) {
      return refused;
    }
  }
  return std::nullopt;
}

}  // namespace p2psip::daemon
