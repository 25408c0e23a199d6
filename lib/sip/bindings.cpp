#include "sip/bindings.hpp"

#include <algorithm>
#include <cctype>

namespace p2psip::sip {

std::chrono::seconds contact_binding::remaining(sip_clock::time_point now) const {
  if (expires_at <= now) return std::chrono::seconds{0};
  // Round up so a binding that still lives never reports 0.
  return std::chrono::ceil<std::chrono::seconds>(expires_at - now);
}

std::string normalize_aor(const std::string& uri) {
  std::string_view s = uri;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  if (!s.empty() && s.front() == '<') s.remove_prefix(1);
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos) return {};
  std::string scheme(s.substr(0, colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "sip" && scheme != "sips") return {};
  s.remove_prefix(colon + 1);
  // userinfo ends at the last '@' before any ';', '?' or '>'.
  std::size_t end = s.find_first_of(";?>");
  std::string_view rest = s.substr(0, end);
  std::string user;
  std::size_t at = rest.rfind('@');
  std::string_view hostport = rest;
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    user = std::string(userinfo.substr(0, userinfo.find(':')));  // drop a password
    hostport = rest.substr(at + 1);
  }
  std::string host;
  if (!hostport.empty() && hostport.front() == '[') {
    std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) return {};
    host = std::string(hostport.substr(0, close + 1));
  } else {
    host = std::string(hostport.substr(0, hostport.find(':')));
  }
  if (host.empty()) return {};
  for (char c : host)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '@') return {};
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return user.empty() ? "sip:" + host : "sip:" + user + "@" + host;
}

binding_table::binding_table(registrar_limits limits, gr_token_fn gr)
    : limits_(limits), gr_(std::move(gr)) {}

namespace {

bool same_binding(const contact_binding& b, const contact_update& c) {
  if (!c.instance.empty() && c.reg_id && !b.instance.empty() && b.reg_id)
    return b.instance == c.instance && b.reg_id == c.reg_id;
  return b.uri == c.uri;
}

// RFC 3261 §10.3 step 6/7: a request out of order for an existing binding.
bool out_of_order(const contact_binding& b, const register_request& req) {
  return b.call_id == req.call_id && req.cseq <= b.cseq;
}

register_outcome failure(int status, std::string phrase) {
  register_outcome o;
  o.status = status;
  o.phrase = std::move(phrase);
  return o;
}

}  // namespace

std::vector<contact_binding> binding_table::live(const std::vector<contact_binding>& all,
                                                 sip_clock::time_point now) const {
  std::vector<contact_binding> out;
  for (const auto& b : all)
    if (b.expires_at > now) out.push_back(b);
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.q_milli > b.q_milli; });
  return out;
}

std::string binding_table::public_gruu(const std::string& aor, const std::string& instance) const {
  if (instance.empty() || !gr_) return {};
  const std::string token = gr_(aor, instance);
  return token.empty() ? std::string() : aor + ";gr=" + token;
}

register_outcome binding_table::apply(const register_request& req, sip_clock::time_point now) {
  if (req.aor.empty()) return failure(400, "Bad To URI");
  auto it = aors_.find(req.aor);
  std::vector<contact_binding> next =
      it == aors_.end() ? std::vector<contact_binding>{} : live(it->second, now);
  const std::size_t before = next.size();
  bool changed = it != aors_.end() && before != it->second.size();

  if (req.wildcard) {
    // "*" is only valid alone and with Expires: 0 (§10.3 step 6).
    if (!req.contacts.empty() || !req.expires_header || req.expires_header->count() != 0)
      return failure(400, "Invalid wildcard Contact");
    for (const auto& b : next)
      if (out_of_order(b, req)) return failure(500, "Out of order CSeq");
    next.clear();
    changed = changed || before != 0;
  } else {
    // Validate everything first, so that an error changes nothing.
    std::vector<std::chrono::seconds> lifetimes;
    for (const auto& c : req.contacts) {
      auto e = c.expires.value_or(req.expires_header.value_or(limits_.default_expires));
      if (e.count() < 0) e = std::chrono::seconds{0};
      if (e.count() != 0 && e < limits_.min_expires) {
        register_outcome o = failure(423, "Interval Too Brief");
        o.min_expires = limits_.min_expires;
        return o;
      }
      lifetimes.push_back(std::min(e, limits_.max_expires));
      for (const auto& b : next)
        if (same_binding(b, c) && out_of_order(b, req)) return failure(500, "Out of order CSeq");
    }
    for (std::size_t i = 0; i < req.contacts.size(); ++i) {
      const auto& c = req.contacts[i];
      auto found =
          std::find_if(next.begin(), next.end(), [&](const auto& b) { return same_binding(b, c); });
      if (lifetimes[i].count() == 0) {
        if (found != next.end()) {
          next.erase(found);
          changed = true;
        }
        continue;
      }
      contact_binding b{.uri = c.uri,
                        .instance = c.instance,
                        .reg_id = c.reg_id,
                        .q_milli = c.q_milli,
                        .feature_params = c.feature_params,
                        .call_id = req.call_id,
                        .cseq = req.cseq,
                        .expires_at = now + lifetimes[i],
                        .gruu = {}};
      b.gruu = public_gruu(req.aor, b.instance);
      if (found != next.end()) {
        changed = changed || found->uri != b.uri || found->q_milli != b.q_milli ||
                  found->feature_params != b.feature_params;
        *found = std::move(b);
      } else {
        next.push_back(std::move(b));
        changed = true;
      }
    }
    if (next.size() > limits_.max_contacts_per_aor) return failure(403, "Too Many Contacts");
    if (it == aors_.end() && !next.empty() && aors_.size() >= limits_.max_aors)
      return failure(503, "Registrar Full");
  }

  register_outcome o;
  o.changed = changed;
  if (next.empty()) {
    if (it != aors_.end()) aors_.erase(it);
  } else {
    aors_[req.aor] = next;
  }
  o.current = live(next, now);
  return o;
}

std::vector<contact_binding> binding_table::lookup(const std::string& aor,
                                                   sip_clock::time_point now) const {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return {};
  return live(it->second, now);
}

std::vector<contact_binding> binding_table::lookup_gruu(const std::string& aor,
                                                        const std::string& gr,
                                                        sip_clock::time_point now) const {
  std::vector<contact_binding> out;
  const std::string wanted = aor + ";gr=" + gr;
  for (auto& b : lookup(aor, now))
    if (!b.gruu.empty() && b.gruu == wanted) out.push_back(std::move(b));
  return out;
}

bool binding_table::restore(const std::string& aor, const std::vector<contact_binding>& saved,
                            sip_clock::time_point now) {
  if (aor.empty() || normalize_aor(aor) != aor || aors_.contains(aor)) return false;
  if (aors_.size() >= limits_.max_aors) return false;
  std::vector<contact_binding> kept;
  for (const auto& b : live(saved, now)) {
    if (b.uri.empty() || kept.size() == limits_.max_contacts_per_aor) continue;
    auto& k = kept.emplace_back(b);
    k.expires_at = std::min(k.expires_at, now + limits_.max_expires);
    k.gruu = public_gruu(aor, k.instance);
  }
  if (kept.empty()) return false;
  aors_.emplace(aor, std::move(kept));
  return true;
}

std::vector<std::string> binding_table::expire(sip_clock::time_point now) {
  std::vector<std::string> changed;
  for (auto it = aors_.begin(); it != aors_.end();) {
    auto& v = it->second;
    const auto n = v.size();
    std::erase_if(v, [&](const auto& b) { return b.expires_at <= now; });
    if (v.size() != n) changed.push_back(it->first);
    it = v.empty() ? aors_.erase(it) : std::next(it);
  }
  return changed;
}

std::optional<sip_clock::time_point> binding_table::next_expiry() const {
  std::optional<sip_clock::time_point> t;
  for (const auto& [aor, v] : aors_) {
    for (const auto& b : v) {
      if (!t || b.expires_at < *t) t = b.expires_at;
    }
  }
  return t;
}

std::vector<registration_info> binding_table::snapshot(sip_clock::time_point now) const {
  std::vector<registration_info> out;
  for (const auto& [aor, v] : aors_) {
    auto l = live(v, now);
    if (!l.empty()) out.push_back({aor, std::move(l)});
  }
  return out;
}

}  // namespace p2psip::sip
