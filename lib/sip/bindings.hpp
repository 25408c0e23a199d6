// The registrar's local bindings table (RFC 3261 §10.3, RFC 5626 reg-id,
// RFC 5627 / RFC 7904 §6 GRUU). Pure: no sofia, no clock (times are passed
// in), no threads; the sip front owns one instance on its su_root thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace p2psip::sip {

using sip_clock = std::chrono::steady_clock;

struct registrar_limits {
  std::chrono::seconds min_expires{60};        // below → 423 Interval Too Brief
  std::chrono::seconds max_expires{3600};      // above → clamped
  std::chrono::seconds default_expires{3600};  // no Expires anywhere
  std::size_t max_contacts_per_aor = 16;       // more → 403
  std::size_t max_aors = 100000;               // more → 503
};

// One Contact of a REGISTER, already parsed by the front.
struct contact_update {
  std::string uri;       // the Contact URI, no header parameters
  std::string instance;  // +sip.instance without quotes, empty if absent
  std::optional<std::uint32_t> reg_id;
  std::uint16_t q_milli = 1000;                 // q=0.5 → 500
  std::optional<std::chrono::seconds> expires;  // ;expires= parameter
  std::string feature_params;                   // other contact parameters, e.g. "audio;+sip.foo"
};

struct register_request {
  std::string aor;  // normalized, see normalize_aor()
  std::string call_id;
  std::uint32_t cseq = 0;
  bool wildcard = false;  // Contact: *
  std::optional<std::chrono::seconds> expires_header;
  std::vector<contact_update> contacts;  // empty and !wildcard → a query
};

struct contact_binding {
  std::string uri;
  std::string instance;
  std::optional<std::uint32_t> reg_id;
  std::uint16_t q_milli = 1000;
  std::string feature_params;
  std::string call_id;
  std::uint32_t cseq = 0;
  sip_clock::time_point expires_at{};
  std::string gruu;  // pub-gruu "sip:user@domain;gr=TOKEN", empty without instance

  std::chrono::seconds remaining(sip_clock::time_point now) const;
  bool operator==(const contact_binding&) const = default;
};

struct register_outcome {
  int status = 200;
  std::string phrase = "OK";
  std::chrono::seconds min_expires{0};   // set with 423
  std::vector<contact_binding> current;  // with 200: every binding of the AOR
  bool changed = false;                  // the AOR's binding set changed
};

// A snapshot row for the control plane (sip.registrations).
struct registration_info {
  std::string aor;
  std::vector<contact_binding> contacts;
  bool operator==(const registration_info&) const = default;
};

// "sip:Alice@Office.Example:5060;transport=udp" → "sip:Alice@office.example".
// The user part keeps its case (RFC 3261 §19.1.4), the host is lowercased,
// port, parameters and headers are dropped, sips: becomes sip:. Returns empty
// for text that is not a sip/sips URI with a host.
std::string normalize_aor(const std::string& uri);

class binding_table {
 public:
  // gr_token(aor, instance) yields the "gr" value of the public GRUU; the
  // daemon encodes its destination list (RFC 7904 §6).
  using gr_token_fn =
      std::function<std::string(const std::string& aor, const std::string& instance)>;

  explicit binding_table(registrar_limits limits = {}, gr_token_fn gr = {});

  // Applies one REGISTER atomically: on any error nothing changes.
  register_outcome apply(const register_request& req, sip_clock::time_point now);

  // The live contacts of an AOR, best q first.
  std::vector<contact_binding> lookup(const std::string& aor, sip_clock::time_point now) const;
  // Bindings whose public GRUU has this "gr" token.
  std::vector<contact_binding> lookup_gruu(const std::string& aor, const std::string& gr,
                                           sip_clock::time_point now) const;

  // Puts back the bindings of an AOR saved before a restart: the live ones,
  // no later than max_expires from now, at most max_contacts_per_aor, each
  // GRUU derived again as apply() derives it. An AOR that already has
  // bindings keeps them (a REGISTER since the start is newer than the file).
  // Returns whether anything was put back.
  bool restore(const std::string& aor, const std::vector<contact_binding>& saved,
               sip_clock::time_point now);

  // Drops expired bindings; returns the AORs whose binding set changed.
  std::vector<std::string> expire(sip_clock::time_point now);
  std::optional<sip_clock::time_point> next_expiry() const;

  std::vector<registration_info> snapshot(sip_clock::time_point now) const;
  std::size_t aor_count() const { return aors_.size(); }
  const registrar_limits& limits() const { return limits_; }

 private:
  std::vector<contact_binding> live(const std::vector<contact_binding>& all,
                                    sip_clock::time_point now) const;
  // The pub-gruu of an instance, empty without instance or gr_token.
  std::string public_gruu(const std::string& aor, const std::string& instance) const;
  registrar_limits limits_;
  gr_token_fn gr_;
  std::map<std::string, std::vector<contact_binding>> aors_;
};

}  // namespace p2psip::sip
