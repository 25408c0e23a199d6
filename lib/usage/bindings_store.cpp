#include "usage/bindings_store.hpp"

#include <cstdint>
#include <limits>
#include <set>
#include <system_error>

#include <boost/json.hpp>

#include "identity/atomic_file.hpp"

namespace p2psip::usage {

namespace json = boost::json;

namespace {

constexpr const char* format_tag = "p2psipd-sip-bindings";
constexpr std::int64_t format_version = 1;
// 100,000 AORs (the registrar's default limit) at about 1 KiB each, with room.
constexpr std::size_t max_file_bytes = std::size_t{256} * 1024 * 1024;

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::ceil<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Thrown inside parse_saved_bindings only, caught there.
struct refused {
  std::string why;
};

const json::value& field(const json::object& o, std::string_view name, const std::string& where) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) throw refused{where + ": no \"" + std::string(name) + "\""};
  return *v;
}

const json::object& object_at(const json::value& v, const std::string& where) {
  if (!v.is_object()) throw refused{where + ": not an object"};
  return v.get_object();
}

const json::array& array_field(const json::object& o, std::string_view name,
                               const std::string& where) {
  const auto& v = field(o, name, where);
  if (!v.is_array()) throw refused{where + ": \"" + std::string(name) + "\" is not an array"};
  return v.get_array();
}

std::string string_field(const json::object& o, std::string_view name, const std::string& where) {
  const auto& v = field(o, name, where);
  if (!v.is_string()) throw refused{where + ": \"" + std::string(name) + "\" is not a string"};
  return std::string(v.get_string());
}

std::int64_t integer_field(const json::object& o, std::string_view name, const std::string& where,
                           std::int64_t low, std::int64_t high) {
  const auto& v = field(o, name, where);
  std::int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64() && v.get_uint64() <= std::uint64_t{INT64_MAX}) {
    n = static_cast<std::int64_t>(v.get_uint64());
  } else {
    throw refused{where + ": \"" + std::string(name) + "\" is not an integer"};
  }
  if (n < low || n > high) {
    throw refused{where + ": \"" + std::string(name) + "\" " + std::to_string(n) +
                  " is out of range"};
  }
  return n;
}

json::object contact_json(const sip::contact_binding& c, const clock_reading& now) {
  const auto expires = now.wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                      c.expires_at - now.steady);
  json::object o{{"uri", c.uri},   {"expires", unix_seconds(expires)}, {"instance", c.instance},
                 {"q", c.q_milli}, {"params", c.feature_params},       {"call-id", c.call_id},
                 {"cseq", c.cseq}};
  if (c.reg_id) {
    o["reg-id"] = *c.reg_id;
  } else {
    o["reg-id"] = nullptr;
  }
  return o;
}

// One contact, or nullopt when it has expired.
std::optional<sip::contact_binding> parse_contact(const json::object& o, const clock_reading& now,
                                                  const std::string& where) {
  constexpr auto u32 = std::int64_t{std::numeric_limits<std::uint32_t>::max()};
  sip::contact_binding c;
  c.uri = string_field(o, "uri", where);
  if (c.uri.empty()) throw refused{where + ": empty \"uri\""};
  const auto expires = integer_field(o, "expires", where, 0, std::int64_t{1} << 40);
  c.instance = string_field(o, "instance", where);
  if (const auto& reg_id = field(o, "reg-id", where); !reg_id.is_null()) {
    c.reg_id = static_cast<std::uint32_t>(integer_field(o, "reg-id", where, 0, u32));
  }
  c.q_milli = static_cast<std::uint16_t>(integer_field(o, "q", where, 0, 1000));
  c.feature_params = string_field(o, "params", where);
  c.call_id = string_field(o, "call-id", where);
  c.cseq = static_cast<std::uint32_t>(integer_field(o, "cseq", where, 0, u32));
  const auto remaining = std::chrono::seconds(expires - unix_seconds(now.wall));
  if (remaining.count() <= 0) return std::nullopt;
  c.expires_at = now.steady + remaining;
  return c;
}

void parse_document(std::string_view text, const clock_reading& now, parsed_bindings& out) {
  boost::system::error_code ec;
  const auto document = json::parse(text, ec);
  if (ec) throw refused{"not JSON: " + ec.message()};
  const auto& top = object_at(document, "the file");
  if (string_field(top, "format", "the file") != format_tag) {
    throw refused{std::string("\"format\" is not \"") + format_tag + "\""};
  }
  const auto version = integer_field(top, "version", "the file", 0, INT64_MAX);
  if (version != format_version) throw refused{"version " + std::to_string(version) + " unknown"};
  std::set<std::string> seen;
  const auto& aors = array_field(top, "aors", "the file");
  for (std::size_t i = 0; i < aors.size(); ++i) {
    const std::string where = "aors[" + std::to_string(i) + "]";
    const auto& entry = object_at(aors[i], where);
    saved_aor saved;
    saved.aor = string_field(entry, "aor", where);
    if (sip::normalize_aor(saved.aor) != saved.aor || saved.aor.find('@') == std::string::npos) {
      throw refused{where + ": \"" + saved.aor + "\" is not a normalized AOR"};
    }
    if (!seen.insert(saved.aor).second) throw refused{where + ": " + saved.aor + " twice"};
    const auto& contacts = array_field(entry, "contacts", where);
    for (std::size_t k = 0; k < contacts.size(); ++k) {
      const std::string at = where + ".contacts[" + std::to_string(k) + "]";
      if (auto c = parse_contact(object_at(contacts[k], at), now, at)) {
        saved.contacts.push_back(std::move(*c));
      } else {
        ++out.expired;
      }
    }
    if (!saved.contacts.empty()) out.aors.push_back(std::move(saved));
  }
}

}  // namespace

clock_reading clock_reading::now() {
  return {sip::sip_clock::now(), std::chrono::system_clock::now()};
}

std::string format_saved_bindings(const std::vector<saved_aor>& aors, clock_reading now) {
  json::array list;
  for (const auto& a : aors) {
    json::array contacts;
    for (const auto& c : a.contacts) {
      if (c.expires_at > now.steady) contacts.push_back(contact_json(c, now));
    }
    if (contacts.empty()) continue;
    list.push_back(json::object{{"aor", a.aor}, {"contacts", std::move(contacts)}});
  }
  const json::object top{{"format", format_tag},
                         {"version", format_version},
                         {"saved", unix_seconds(now.wall)},
                         {"aors", std::move(list)}};
  return json::serialize(top) + "\n";
}

parsed_bindings parse_saved_bindings(std::string_view text, clock_reading now) {
  parsed_bindings out;
  try {
    parse_document(text, now, out);
  } catch (const refused& r) {
    out = {};
    out.error = r.why;
  }
  return out;
}

std::string save_bindings(const std::filesystem::path& file, const std::vector<saved_aor>& aors,
                          clock_reading now) {
  const auto written = identity::write_file_atomically(file, format_saved_bindings(aors, now),
                                                       identity::secret_file_mode);
  return written ? std::string{} : written.error().describe();
}

loaded_bindings load_bindings(const std::filesystem::path& file, clock_reading now) {
  loaded_bindings out;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) && !ec) return out;
  // Users' contacts are private: a file others may read is refused too.
  auto text = identity::read_secret_file(file, max_file_bytes);
  out.parsed =
      text ? parse_saved_bindings(*text, now) : parsed_bindings{{}, 0, text.error().describe()};
  if (out.parsed.error.empty()) return out;
  auto aside = file;
  aside += ".bad-" + std::to_string(unix_seconds(now.wall));
  std::filesystem::rename(file, aside, ec);
  if (!ec) out.set_aside = aside;
  return out;
}

}  // namespace p2psip::usage
