#include "daemon/overlay_grammar.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libxml/relaxng.h>

namespace p2psip::daemon {
namespace {

// libxml2 reports a violation with its consequences, and within an
// interleave sometimes only those: the first few, each where known with its
// element, say what is wrong.
struct reported_errors {
  static constexpr std::size_t kept = 3;
  std::vector<std::string> messages;
  int line = 0;  // of the first one that has a line

  std::string describe() const {
    std::string out;
    for (const auto& message : messages) out += (out.empty() ? "" : "; ") + message;
    return out.empty() ? "invalid" : out;
  }
};

void keep_error(void* user, xmlErrorPtr error) {
  auto& reported = *static_cast<reported_errors*>(user);
  if (error == nullptr || reported.messages.size() >= reported_errors::kept) return;
  std::string message = error->message != nullptr ? error->message : "invalid";
  while (!message.empty() && message.back() == '\n') message.pop_back();
  const auto* node = static_cast<const xmlNode*>(error->node);
  if (node != nullptr && node->type == XML_ELEMENT_NODE && node->name != nullptr) {
    message = "<" + std::string(reinterpret_cast<const char*>(node->name)) + ">: " + message;
  }
  if (std::find(reported.messages.begin(), reported.messages.end(), message) !=
      reported.messages.end()) {
    return;
  }
  if (reported.line == 0) reported.line = error->line;
  reported.messages.push_back(std::move(message));
}

struct compiled_grammar {
  xmlRelaxNGPtr schema = nullptr;  // kept for the life of the process
  std::string failure;             // why it did not compile
};

const compiled_grammar& grammar() {
  static const compiled_grammar compiled = [] {
    compiled_grammar out;
    const auto text = rfc6940_config_grammar();
    std::unique_ptr<xmlRelaxNGParserCtxt, decltype(&xmlRelaxNGFreeParserCtxt)> parser(
        xmlRelaxNGNewMemParserCtxt(text.data(), static_cast<int>(text.size())),
        &xmlRelaxNGFreeParserCtxt);
    reported_errors errors;
    if (parser) {
      xmlRelaxNGSetParserStructuredErrors(parser.get(), keep_error, &errors);
      out.schema = xmlRelaxNGParse(parser.get());
    }
    if (out.schema == nullptr) {
      out.failure = "the built-in RFC 6940 §11.1.1 grammar does not compile: " + errors.describe();
    }
    return out;
  }();
  return compiled;
}

// libxml2 does not promise that one compiled grammar may validate on two
// threads at once.
std::mutex validating;

}  // namespace

std::optional<config_error> grammar_violation(xmlDoc* document, std::string_view source) {
  const auto refuse = [&](int line, const std::string& why) {
    return config_error{std::string(source), line, 0,
                        "does not follow the RFC 6940 §11.1.1 grammar: " + why};
  };
  const auto& compiled = grammar();
  if (compiled.schema == nullptr) return config_error{std::string(source), 0, 0, compiled.failure};
  const std::lock_guard lock(validating);
  std::unique_ptr<xmlRelaxNGValidCtxt, decltype(&xmlRelaxNGFreeValidCtxt)> validator(
      xmlRelaxNGNewValidCtxt(compiled.schema), &xmlRelaxNGFreeValidCtxt);
  if (!validator) return refuse(0, "out of memory");
  reported_errors errors;
  xmlRelaxNGSetValidStructuredErrors(validator.get(), keep_error, &errors);
  if (xmlRelaxNGValidateDoc(validator.get(), document) == 0) return std::nullopt;
  return refuse(errors.line, errors.describe());
}

}  // namespace p2psip::daemon
