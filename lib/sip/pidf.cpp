#include "sip/pidf.hpp"

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>

namespace p2psip::sip {

namespace {

constexpr std::string_view pidf_ns = "urn:ietf:params:xml:ns:pidf";
constexpr std::string_view rpid_ns = "urn:ietf:params:xml:ns:pidf:rpid";

struct doc_deleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct ctxt_deleter {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct string_deleter {
  void operator()(xmlChar* s) const { xmlFree(s); }
};
using xml_string = std::unique_ptr<xmlChar, string_deleter>;

bool is(const xmlNode* n, std::string_view ns, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         reinterpret_cast<const char*>(n->ns->href) == ns &&
         reinterpret_cast<const char*>(n->name) == name;
}

const xmlNode* child(const xmlNode* parent, std::string_view ns, std::string_view name) {
  for (const xmlNode* c = parent->children; c; c = c->next)
    if (is(c, ns, name)) return c;
  return nullptr;
}

std::string text_of(const xmlNode* n) {
  xml_string t(xmlNodeGetContent(n));
  if (!t) return {};
  std::string s(reinterpret_cast<const char*>(t.get()));
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The first RPID activity anywhere under `n` (in a <person> or a tuple).
std::string activity_under(const xmlNode* n) {
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is(c, rpid_ns, "activities")) {
      for (const xmlNode* a = c->children; a; a = a->next)
        if (a->type == XML_ELEMENT_NODE && !is(a, rpid_ns, "note"))
          return reinterpret_cast<const char*>(a->name);
    }
    if (auto found = activity_under(c); !found.empty()) return found;
  }
  return {};
}

std::string escape(const std::string& text) {
  xml_string out(xmlEncodeSpecialChars(nullptr, reinterpret_cast<const xmlChar*>(text.c_str())));
  return out ? reinterpret_cast<const char*>(out.get()) : std::string();
}

}  // namespace

pidf_parse parse_pidf(std::string_view document) {
  if (document.empty()) return {{}, "empty document"};
  if (document.size() > pidf_max_size) return {{}, "document larger than 16 KiB"};
  std::unique_ptr<xmlParserCtxt, ctxt_deleter> ctxt(xmlNewParserCtxt());
  if (!ctxt) return {{}, "out of memory"};
  // No DTD loading, no entity substitution, no network.
  std::unique_ptr<xmlDoc, doc_deleter> doc(
      xmlCtxtReadMemory(ctxt.get(), document.data(), static_cast<int>(document.size()), nullptr,
                        nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) return {{}, "not well-formed XML"};
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !is(root, pidf_ns, "presence")) return {{}, "the root is not a PIDF <presence>"};
  xml_string entity(xmlGetNoNsProp(root, reinterpret_cast<const xmlChar*>("entity")));
  if (!entity || !*entity) return {{}, "<presence> has no entity"};

  presence_status st;
  std::string tuple_note;
  for (const xmlNode* t = root->children; t; t = t->next) {
    if (!is(t, pidf_ns, "tuple")) continue;
    xml_string id(xmlGetNoNsProp(t, reinterpret_cast<const xmlChar*>("id")));
    if (!id || !*id) return {{}, "a <tuple> has no id"};
    const xmlNode* status = child(t, pidf_ns, "status");
    if (!status) return {{}, "a <tuple> has no <status>"};
    if (const xmlNode* basic = child(status, pidf_ns, "basic")) {
      const std::string b = text_of(basic);
      if (b != "open" && b != "closed") return {{}, "<basic> is neither open nor closed"};
      const bool tuple_open = b == "open";
      if (const xmlNode* note = child(t, pidf_ns, "note");
          note && (tuple_note.empty() || (tuple_open && !st.open)))
        tuple_note = text_of(note);
      st.open = st.open || tuple_open;
    }
  }
  if (const xmlNode* note = child(root, pidf_ns, "note")) st.note = text_of(note);
  if (st.note.empty()) st.note = tuple_note;
  st.activity = activity_under(root);
  return {st, {}};
}

std::string make_pidf(const std::string& entity, const presence_status& status) {
  std::string pres = entity;
  if (pres.rfind("sip:", 0) == 0) pres = "pres:" + pres.substr(4);
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"";
  // The activity (an element name parse_pidf read) as RPID, RFC 4480 §5.
  if (!status.activity.empty())
    out += " xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:rpid=\"" +
           std::string(rpid_ns) + "\"";
  out += " entity=\"" + escape(pres) + "\">\n";
  if (!status.activity.empty())
    out += "<dm:person id=\"p2psipd-person\"><rpid:activities><rpid:" + escape(status.activity) +
           "/></rpid:activities></dm:person>\n";
  out += "<tuple id=\"p2psipd\"><status><basic>";
  out += status.open ? "open" : "closed";
  out += "</basic></status>";
  if (!status.note.empty()) out += "<note>" + escape(status.note) + "</note>";
  out += "</tuple>\n</presence>\n";
  return out;
}

}  // namespace p2psip::sip
