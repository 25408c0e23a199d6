// PIDF (RFC 3863) presence documents as the presence agent reads and writes
// them: the basic status of the presentity (open when any tuple is open),
// a note, and an RPID (RFC 4480) activity such as "away" when the document
// carries one. Parsed with libxml2, no network, no entity expansion; a
// document that is not a PIDF <presence> is refused with the reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2psip::sip {

inline constexpr const char* pidf_content_type = "application/pidf+xml";
// A PIDF document larger than this is refused (a phone's is a few hundred bytes).
inline constexpr std::size_t pidf_max_size = 16 * 1024;

struct presence_status {
  bool open = false;
  std::string note;      // the first <note> of an open tuple, else of the document
  std::string activity;  // the first RPID activity's element name ("away"), or empty
  friend bool operator==(const presence_status&, const presence_status&) = default;
};

struct pidf_parse {
  std::optional<presence_status> status;
  std::string error;  // why not, when status is empty
};

pidf_parse parse_pidf(std::string_view document);

// A PIDF document for `entity` (an AOR, written as its pres: URI) with one
// tuple, and the RPID activity when there is one: the document the agent
// sends for an AOR nobody published for, or as its home agent told it.
std::string make_pidf(const std::string& entity, const presence_status& status);

}  // namespace p2psip::sip
