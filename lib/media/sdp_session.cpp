#include "media/sdp_session.hpp"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "media/sdp_candidate.hpp"

namespace p2psip::media {

namespace {

// Direction attributes stay attributes, printed as they came (sofia would
// otherwise fold them into its m_mode and print its own), and a body where
// an m-line has no c= at all is taken (rejected lines often have none); the
// line's connection is then empty.
constexpr int parse_flags = sdp_f_mode_manual | sdp_f_c_missing;
constexpr int print_flags = sdp_f_mode_manual;

// The attributes neither a plain RTP phone nor the SRTP-over-ICE leg between
// daemons takes from the other side: security and transport of the far leg.
// Every a=ice-* goes too (see is_stripped).
constexpr const char* stripped_attributes[] = {
    "crypto", "candidate", "remote-candidates", "end-of-candidates",
    "rtcp",   "rtcp-mux",  "rtcp-mux-only",     "fingerprint",
    "setup",
};

bool is_stripped(const char* name) {
  if (!name) return false;
  if (strncasecmp(name, "ice-", 4) == 0) return true;
  return std::any_of(std::begin(stripped_attributes), std::end(stripped_attributes),
                     [name](const char* s) { return strcasecmp(name, s) == 0; });
}

// A scratch home for one rewrite: everything it allocates goes with it.
struct scratch_home {
  su_home_t home[1];
  scratch_home() { su_home_init(home); }
  ~scratch_home() { su_home_deinit(home); }
  scratch_home(const scratch_home&) = delete;
  scratch_home& operator=(const scratch_home&) = delete;
};

const sdp_attribute_t* find_attribute(const sdp_attribute_t* list, const char* name) {
  for (; list; list = list->a_next) {
    if (list->a_name && strcasecmp(list->a_name, name) == 0) return list;
  }
  return nullptr;
}

std::optional<media_direction> direction_of(const sdp_attribute_t* list) {
  for (auto d : {media_direction::sendrecv, media_direction::sendonly, media_direction::recvonly,
                 media_direction::inactive}) {
    if (find_attribute(list, to_string(d))) return d;
  }
  return std::nullopt;
}

std::optional<boost::asio::ip::address> address_of(const sdp_connection_t* c) {
  if (!c || !c->c_address) return std::nullopt;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(c->c_address, ec);
  if (ec) return std::nullopt;
  return address;
}

std::optional<nat::ice_credentials> ice_of(const sdp_attribute_t* list) {
  const auto* ufrag = find_attribute(list, "ice-ufrag");
  const auto* pwd = find_attribute(list, "ice-pwd");
  if (!ufrag || !pwd || !ufrag->a_value || !pwd->a_value) return std::nullopt;
  return nat::ice_credentials{ufrag->a_value, pwd->a_value};
}

bool is_payload_type(const char* text) {
  const std::string_view t = text ? text : "";
  if (t.empty() || t.size() > 3 ||
      !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::stoi(std::string(t)) <= 127;
}

// An RTP profile whose formats are payload types: what can be anchored and
// printed as RTP/AVP or RTP/SAVP. sofia keeps the formats of profiles it does
// not know ("RTP/AVPF", say) as text, unchecked.
bool is_rtp(const sdp_media_t* m) {
  const std::string_view protocol = m->m_proto_name ? m->m_proto_name : "";
  if (!protocol.starts_with("RTP/") && !protocol.starts_with("UDP/TLS/RTP/")) return false;
  for (const sdp_list_t* f = m->m_format; f; f = f->l_next) {
    if (!is_payload_type(f->l_text)) return false;
  }
  return true;
}

bool is_feedback_profile(std::string_view protocol) { return protocol.ends_with("AVPF"); }

// sofia 1.12.11 loops without end, allocating until memory runs out, when
// an m= line's format list starts with anything but a token, blanks left
// over included (found by fuzz_sdp: "m=audio 0 R::", "m=o 0P /", and
// "m=image 5000 udptl \t", where the tab follows the blank after the
// protocol). So m= lines are held to RFC 4566's grammar before sofia sees
// them (media token, port ["/" count], proto: tokens joined by '/', then
// format tokens, separated by blanks), and their trailing blanks are
// dropped. Lines are split and their leading blanks skipped as sofia does.
bool is_token_char(char c) {
  constexpr std::string_view extra = "-!#$%&'*+.^_`{|}~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         extra.find(c) != std::string_view::npos;
}

bool is_media_field(std::string_view field, std::size_t index) {
  const auto all = [&](auto ok) { return std::all_of(field.begin(), field.end(), ok); };
  if (index == 1) {
    const auto slash = field.find('/');
    const auto digits = [](std::string_view t) {
      return !t.empty() &&
             std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    return digits(field.substr(0, slash)) &&
           (slash == std::string_view::npos || digits(field.substr(slash + 1)));
  }
  if (index == 2) return all([](char c) { return c == '/' || is_token_char(c); });
  return all(is_token_char);
}

// The body with each m= line's trailing blanks dropped, or nothing when an
// m= line breaks the grammar.
std::optional<std::string> sofia_safe(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  std::size_t at = 0;
  while (at < body.size()) {
    std::size_t end = body.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(at, end - at);
    const std::string_view separator = body.substr(end, end < body.size() ? 1 : 0);
    at = end + 1;
    auto fields = line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
    if (fields.starts_with("m=")) {
      line = line.substr(0, line.find_last_not_of(" \t") + 1);
      fields = fields.substr(2, fields.find_last_not_of(" \t") - 1);
      for (std::size_t index = 0; !fields.empty(); ++index) {
        fields.remove_prefix(std::min(fields.find_first_not_of(" \t"), fields.size()));
        const auto field = fields.substr(0, fields.find_first_of(" \t"));
        if (!is_media_field(field, index)) return std::nullopt;
        fields.remove_prefix(field.size());
      }
    }
    out.append(line).append(separator);
  }
  return out;
}

sdp_media describe(const sdp_media_t* m, const sdp_session_t* s) {
  sdp_media out;
  out.type = m->m_type_name ? m->m_type_name : "";
  out.port = static_cast<std::uint16_t>(m->m_port);
  out.protocol = m->m_proto_name ? m->m_proto_name : "";
  out.is_rtp = is_rtp(m);
  // sofia turns the formats of RTP/AVP and RTP/SAVP lines into rtpmaps
  // (one per payload type, in m-line order) and keeps other lines' as text.
  for (const sdp_rtpmap_t* r = m->m_rtpmaps; r; r = r->rm_next) {
    out.formats.push_back(std::to_string(r->rm_pt));
  }
  for (const sdp_list_t* f = m->m_format; f; f = f->l_next) {
    if (f->l_text) out.formats.emplace_back(f->l_text);
  }
  out.connection = address_of(m->m_connections ? m->m_connections : s->sdp_connection);
  out.direction =
      direction_of(m->m_attributes)
          .value_or(direction_of(s->sdp_attributes).value_or(media_direction::sendrecv));
  out.rtcp_mux = find_attribute(m->m_attributes, "rtcp-mux") != nullptr;
  out.ice = ice_of(m->m_attributes);
  if (!out.ice) out.ice = ice_of(s->sdp_attributes);
  for (const sdp_attribute_t* a = m->m_attributes; a; a = a->a_next) {
    if (!a->a_name || !a->a_value) continue;
    if (strcasecmp(a->a_name, "crypto") == 0) {
      if (auto crypto = parse_sdes_crypto(a->a_value)) out.crypto.push_back(std::move(*crypto));
    } else if (strcasecmp(a->a_name, "candidate") == 0) {
      if (auto candidate = parse_sdp_candidate(a->a_value)) {
        out.candidates.push_back(std::move(*candidate));
      }
    }
  }
  return out;
}

void strip(sdp_attribute_t** list) {
  while (*list) {
    if (is_stripped((*list)->a_name)) {
      *list = (*list)->a_next;
    } else {
      list = &(*list)->a_next;
    }
  }
}

void append(su_home_t* home, sdp_attribute_t** list, const char* name,
            const char* value = nullptr) {
  auto* a = static_cast<sdp_attribute_t*>(su_zalloc(home, sizeof(sdp_attribute_t)));
  if (!a) throw std::bad_alloc();
  a->a_size = sizeof(sdp_attribute_t);
  a->a_name = su_strdup(home, name);
  a->a_value = value ? su_strdup(home, value) : nullptr;
  while (*list) list = &(*list)->a_next;
  *list = a;
}

sdp_connection_t* connection(su_home_t* home, const boost::asio::ip::address& address) {
  auto* c = static_cast<sdp_connection_t*>(su_zalloc(home, sizeof(sdp_connection_t)));
  if (!c) throw std::bad_alloc();
  c->c_size = sizeof(sdp_connection_t);
  c->c_nettype = sdp_net_in;
  c->c_addrtype = address.is_v6() ? sdp_addr_ip6 : sdp_addr_ip4;
  c->c_address = su_strdup(home, address.to_string().c_str());
  return c;
}

// RTP/AVP and RTP/SAVP have sofia enum values; feedback profiles go by name.
void set_profile(sdp_media_t* m, bool secure, bool feedback) {
  if (feedback) {
    m->m_proto = sdp_proto_x;
    m->m_proto_name = secure ? "RTP/SAVPF" : "RTP/AVPF";
  } else {
    m->m_proto = secure ? sdp_proto_srtp : sdp_proto_rtp;
    m->m_proto_name = secure ? "RTP/SAVP" : "RTP/AVP";
  }
}

// The caller's rewrite data must name every m-line, in order.
std::optional<media_error> count_mismatch(std::size_t given, const char* what, std::size_t lines) {
  if (given == lines) return std::nullopt;
  return media_error{media_errc::bad_rewrite, std::to_string(given) + " " + what + " for " +
                                                  std::to_string(lines) + " m-lines"};
}

result<std::string> print(su_home_t* home, const sdp_session_t* session) {
  sdp_printer_t* printer = sdp_print(home, session, nullptr, 0, print_flags);
  if (!printer) throw std::bad_alloc();
  result<std::string> out = media_error{media_errc::print_failed, ""};
  if (const char* error = sdp_printing_error(printer)) {
    out = media_error{media_errc::print_failed, error};
  } else {
    out = std::string(sdp_message(printer), sdp_message_size(printer));
  }
  sdp_printer_free(printer);
  return out;
}

}  // namespace

const char* to_string(media_direction direction) noexcept {
  switch (direction) {
    case media_direction::sendrecv: return "sendrecv";
    case media_direction::sendonly: return "sendonly";
    case media_direction::recvonly: return "recvonly";
    case media_direction::inactive: return "inactive";
  }
  return "?";
}

struct sdp_session::parsed {
  su_home_t home[1];
  sdp_parser_t* parser = nullptr;
  sdp_session_t* session = nullptr;

  parsed() { su_home_init(home); }
  ~parsed() {
    if (parser) sdp_parser_free(parser);
    su_home_deinit(home);
  }
  parsed(const parsed&) = delete;
  parsed& operator=(const parsed&) = delete;

  // The session copied into `scratch`, cleared of the far leg's transport
  // and keys and pointed at `address`; `each` then sees every anchorable
  // m-line with its index. Lines that are rejected or not RTP end at port 0.
  template <class Each>
  result<std::string> rewrite(const boost::asio::ip::address& address, bool secure,
                              Each each) const {
    if (address.is_unspecified()) {
      return media_error{media_errc::bad_rewrite, "unspecified connection address"};
    }
    scratch_home scratch;
    su_home_t* h = scratch.home;
    sdp_session_t* copy = sdp_session_dup(h, session);
    if (!copy) throw std::bad_alloc();
    strip(&copy->sdp_attributes);
    copy->sdp_key = nullptr;
    copy->sdp_connection = connection(h, address);
    std::size_t index = 0;
    for (sdp_media_t* m = copy->sdp_media; m; m = m->m_next, ++index) {
      strip(&m->m_attributes);
      m->m_key = nullptr;
      m->m_connections = nullptr;
      m->m_number_of_ports = 0;
      if (!is_rtp(m)) {
        m->m_port = 0;
        continue;
      }
      set_profile(m, secure, is_feedback_profile(m->m_proto_name));
      if (m->m_port == 0) continue;
      each(h, m, index);
    }
    auto out = print(h, copy);
    // What a profile sofia does not know kept unchecked (an a=rtpmap, say)
    // is checked once the line is RTP/AVP or RTP/SAVP: never send what
    // sofia itself would refuse.
    if (out) {
      sdp_parser_t* check =
          sdp_parse(h, out->data(), static_cast<issize_t>(out->size()), parse_flags);
      if (!check) throw std::bad_alloc();
      if (const char* error = sdp_parsing_error(check)) {
        return media_error{media_errc::print_failed, std::string("rewritten SDP: ") + error};
      }
    }
    return out;
  }
};

sdp_session::sdp_session(std::unique_ptr<parsed> p) : parsed_(std::move(p)) {
  for (const sdp_media_t* m = parsed_->session->sdp_media; m; m = m->m_next) {
    media_.push_back(describe(m, parsed_->session));
  }
}

sdp_session::sdp_session(sdp_session&&) noexcept = default;
sdp_session& sdp_session::operator=(sdp_session&&) noexcept = default;
sdp_session::~sdp_session() = default;

result<sdp_session> sdp_session::parse(std::string_view body) {
  if (body.size() > max_sdp_size) {
    return media_error{media_errc::too_large, std::to_string(body.size()) + " bytes"};
  }
  // sofia reads the copy it makes as a C string: a NUL would end it early.
  if (body.find('\0') != std::string_view::npos) {
    return media_error{media_errc::unparsable, "NUL in the body"};
  }
  const auto safe = sofia_safe(body);
  if (!safe) return media_error{media_errc::unparsable, "m= line outside RFC 4566's grammar"};
  auto p = std::make_unique<parsed>();
  p->parser = sdp_parse(p->home, safe->data(), static_cast<issize_t>(safe->size()), parse_flags);
  if (!p->parser) throw std::bad_alloc();
  if (const char* error = sdp_parsing_error(p->parser)) {
    return media_error{media_errc::unparsable, error};
  }
  p->session = ::sdp_session(p->parser);  // sofia's, not ours
  if (!p->session) return media_error{media_errc::unparsable, "no session"};
  std::size_t count = 0;
  for (const sdp_media_t* m = p->session->sdp_media; m; m = m->m_next) {
    if (++count > max_media_lines) {
      return media_error{media_errc::too_many_media,
                         "more than " + std::to_string(max_media_lines) + " m-lines"};
    }
    if (m->m_port > 65535) return media_error{media_errc::unparsable, "port over 65535"};
  }
  if (count == 0) return media_error{media_errc::no_media, "no m-line"};
  return sdp_session(std::move(p));
}

result<std::string> sdp_session::toward_phone(const phone_rewrite& rewrite) const {
  if (auto error = count_mismatch(rewrite.ports.size(), "ports", media_.size())) return *error;
  return parsed_->rewrite(
      rewrite.address, false,
      [&](su_home_t*, sdp_media_t* m, std::size_t index) { m->m_port = rewrite.ports[index]; });
}

result<std::string> sdp_session::toward_daemon(const daemon_rewrite& rewrite) const {
  if (auto error = count_mismatch(rewrite.media.size(), "media", media_.size())) return *error;
  // sofia prints values as given: a CR or LF here would forge SDP lines.
  for (const auto& d : rewrite.media) {
    const auto& c = d.ice.credentials;
    const bool foundations_ok = std::all_of(
        d.ice.candidates.begin(), d.ice.candidates.end(), [](const nat::ice_candidate& x) {
          return !x.foundation.empty() && is_ice_chars(x.foundation);
        });
    if (c.ufrag.size() < 4 || c.ufrag.size() > 256 || c.password.size() < 22 ||
        c.password.size() > 256 || !is_ice_chars(c.ufrag) || !is_ice_chars(c.password) ||
        !foundations_ok) {
      return media_error{media_errc::bad_rewrite, "ICE ufrag, password or foundation (RFC 8839)"};
    }
  }
  return parsed_->rewrite(
      rewrite.address, true, [&](su_home_t* h, sdp_media_t* m, std::size_t index) {
        const daemon_media& d = rewrite.media[index];
        m->m_port = d.port;
        append(h, &m->m_attributes, "crypto", format_sdes_crypto(d.crypto).c_str());
        append(h, &m->m_attributes, "rtcp-mux");
        append(h, &m->m_attributes, "ice-ufrag", d.ice.credentials.ufrag.c_str());
        append(h, &m->m_attributes, "ice-pwd", d.ice.credentials.password.c_str());
        for (const auto& candidate : d.ice.candidates) {
          append(h, &m->m_attributes, "candidate", format_sdp_candidate(candidate).c_str());
        }
      });
}

}  // namespace p2psip::media
