#include "sip/registrar.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace p2psip::sip {

registrar::registrar(su_home_t* home, const sip_front_config& cfg, overlay_directory& directory,
                     const thread_bridge& bridge, digest_auth& digest,
                     std::function<void(const registration_info&)> on_registration,
                     std::function<void(const std::string& aor)> on_registered)
    : home_(home),
      cfg_(cfg),
      directory_(directory),
      bridge_(bridge),
      digest_(digest),
      on_registration_(std::move(on_registration)),
      on_registered_(std::move(on_registered)),
      bindings_(cfg.limits, cfg.gr_token) {}

bool registrar::handle(nta_incoming_t* irq, const sip_t* sip) {
  const std::string aor = normalize_aor(url_str(home_, sip->sip_to->a_url));
  if (aor.empty() || aor.find('@') == std::string::npos) {
    nta_incoming_treply(irq, 400, "Bad To URI", TAG_END());
    return true;
  }
  if (!digest_.check(irq, sip, true)) return true;
  if (cfg_.may_register && !cfg_.may_register(aor)) {
    nta_incoming_treply(irq, SIP_403_FORBIDDEN, TAG_END());
    return true;
  }
  if (!cfg_.account_gate) {
    apply(irq, sip, aor);
    return true;
  }
  account_request asked{aor, {}};
  if (sip->sip_authorization) {
    // The field value only (sip_header_as_string would add the name).
    char value[4096];
    const auto size = msg_header_field_e(
        value, sizeof value, reinterpret_cast<const msg_header_t*>(sip->sip_authorization), 0);
    if (size > 0 && static_cast<std::size_t>(size) < sizeof value) {
      asked.authorization.assign(value, static_cast<std::size_t>(size));
    }
  }
  // The request stays readable until the verdict is back on this thread.
  auto request = bridge_.owned_here(nta_incoming_getrequest(irq));
  auto back = bridge_.back_here<account_verdict>(
      [this, irq, request, aor](account_verdict verdict) { decided(irq, request, aor, verdict); });
  bridge_.to_overlay(
      [gate = cfg_.account_gate, asked = std::move(asked), back] { gate(asked, back); });
  return false;
}

void registrar::decided(nta_incoming_t* irq, const std::shared_ptr<msg_t>& request,
                        const std::string& aor, const account_verdict& verdict) {
  switch (verdict.what) {
    case account_verdict::action::proceed:
      if (const sip_t* sip = request ? sip_object(request.get()) : nullptr) {
        apply(irq, sip, aor);
      } else {
        nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
      }
      break;
    case account_verdict::action::challenge: {
      // One WWW-Authenticate header per value, in the verdict's order.
      std::vector<tagi_t> headers;
      for (const auto& value : verdict.challenges) {
        headers.push_back(
            {siptag_www_authenticate_str, reinterpret_cast<tag_value_t>(value.c_str())});
      }
      headers.push_back({TAG_END()});
      nta_incoming_treply(irq, SIP_401_UNAUTHORIZED, SIPTAG_SERVER_STR(cfg_.user_agent.c_str()),
                          TAG_NEXT(headers.data()));
      break;
    }
    case account_verdict::action::refuse:
      nta_incoming_treply(irq, 403, verdict.value.c_str(),
                          SIPTAG_SERVER_STR(cfg_.user_agent.c_str()), TAG_END());
      break;
  }
  nta_incoming_destroy(irq);
}

void registrar::apply(nta_incoming_t* irq, const sip_t* sip, const std::string& aor) {
  register_request req;
  req.aor = aor;
  req.call_id = to_string(sip->sip_call_id->i_id);
  req.cseq = sip->sip_cseq->cs_seq;
  if (sip->sip_expires) req.expires_header = std::chrono::seconds(sip->sip_expires->ex_delta);
  for (const sip_contact_t* m = sip->sip_contact; m; m = m->m_next) {
    if (m->m_url->url_type == url_any) {
      req.wildcard = true;
      continue;
    }
    contact_update c;
    url_t u = *m->m_url;
    u.url_headers = nullptr;
    c.uri = url_str(home_, &u);
    for (const msg_param_t* p = m->m_params; p && *p; ++p) {
      std::string param = *p;
      const auto eq = param.find('=');
      std::string name = param.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : param.substr(eq + 1);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (name == "expires") {
        c.expires = std::chrono::seconds(std::strtoul(value.c_str(), nullptr, 10));
      } else if (name == "q") {
        const double q = std::strtod(value.c_str(), nullptr);  // 0 on junk
        c.q_milli = static_cast<std::uint16_t>(std::lround(std::clamp(q, 0.0, 1.0) * 1000));
      } else if (name == "+sip.instance") {
        if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
        if (!value.empty() && value.front() == '<') value = value.substr(1, value.size() - 2);
        c.instance = value;
      } else if (name == "reg-id") {
        c.reg_id = static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
      } else {
        if (!c.feature_params.empty()) c.feature_params += ";";
        c.feature_params += param;
      }
    }
    req.contacts.push_back(std::move(c));
  }
  if (req.wildcard && (!req.contacts.empty() || !sip->sip_contact || sip->sip_contact->m_next)) {
    nta_incoming_treply(irq, 400, "Invalid wildcard Contact", TAG_END());
    return;
  }
  const bool query = !req.wildcard && req.contacts.empty();
  register_outcome o =
      query ? register_outcome{200, "OK", {}, bindings_.lookup(aor, sip_clock::now()), false}
            : bindings_.apply(req, sip_clock::now());
  if (o.status == 423) {
    const std::string me = std::to_string(o.min_expires.count());
    nta_incoming_treply(irq, 423, "Interval Too Brief", SIPTAG_MIN_EXPIRES_STR(me.c_str()),
                        TAG_END());
    return;
  }
  if (o.status != 200) {
    nta_incoming_treply(irq, o.status, o.phrase.c_str(), TAG_END());
    return;
  }
  if (!query) {
    // The overlay hears of the change before the softphone sees its 200.
    publish(aor);
    if (o.changed) announce({aor, o.current});
    if (!o.current.empty()) registered(aor);
  }
  const bool gruu_ok = sip->sip_supported && sip_has_feature(sip->sip_supported, "gruu");
  const auto now = sip_clock::now();
  msg_t* resp = nta_incoming_create_response(irq, 200, "OK");
  if (!resp) {
    nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
    return;
  }
  sip_t* rs = sip_object(resp);
  su_home_t* rh = msg_home(resp);
  // The registrar is the UAS, so To gets a tag (RFC 3261 §8.2.6.2); unlike
  // treply, nta_incoming_create_response leaves that to us.
  if (rs->sip_to && !rs->sip_to->a_tag &&
      sip_to_tag(rh, rs->sip_to, nta_incoming_tag(irq, nullptr)) < 0) {
    msg_destroy(resp);
    nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
    return;
  }
  for (const auto& b : o.current) {
    std::string c = "<" + b.uri + ">;expires=" + std::to_string(b.remaining(now).count());
    if (b.q_milli != 1000) {
      char q[16];
      (void)std::snprintf(q, sizeof q, ";q=%u.%03u", b.q_milli / 1000U, b.q_milli % 1000U);
      c += q;
    }
    if (!b.instance.empty()) c += ";+sip.instance=\"<" + b.instance + ">\"";
    if (b.reg_id) c += ";reg-id=" + std::to_string(*b.reg_id);
    if (gruu_ok && !b.gruu.empty()) c += ";pub-gruu=\"" + b.gruu + "\"";
    sip_contact_t* h = sip_contact_make(rh, c.c_str());
    if (h) msg_header_insert(resp, (msg_pub_t*)rs, (msg_header_t*)h);
  }
  // Best effort: a reply without them is still a valid 200.
  if (gruu_ok) (void)sip_add_tl(resp, rs, SIPTAG_REQUIRE_STR("gruu"), TAG_END());
  (void)sip_add_tl(resp, rs, SIPTAG_DATE(sip_date_create(rh, sip_now())), TAG_END());
  nta_incoming_mreply(irq, resp);
}

register_outcome registrar::apply_local(const register_request& req) {
  if (req.aor.find('@') == std::string::npos) return {400, "Bad AOR", {}, {}, false};
  if (cfg_.may_register && !cfg_.may_register(req.aor)) return {403, "Forbidden", {}, {}, false};
  register_outcome o = bindings_.apply(req, sip_clock::now());
  if (o.status != 200) return o;
  publish(req.aor);
  if (o.changed) announce({req.aor, o.current});
  if (!o.current.empty()) registered(req.aor);
  return o;
}

void registrar::publish(const std::string& aor) {
  const auto now = sip_clock::now();
  auto live = bindings_.lookup(aor, now);
  overlay_directory* d = &directory_;
  if (live.empty()) {
    bridge_.to_overlay([d, aor] { d->withdraw(aor); });
    return;
  }
  binding_set set;
  set.aor = aor;
  for (const auto& b : live)
    set.contacts.push_back({b.uri, b.instance, b.feature_params, b.remaining(now)});
  bridge_.to_overlay([d, set] { d->publish(set); });
}

void registrar::expire_due() {
  for (const auto& aor : bindings_.expire(sip_clock::now())) {
    publish(aor);
    announce({aor, bindings_.lookup(aor, sip_clock::now())});
  }
}

void registrar::restore(const std::vector<registration_info>& saved) {
  for (const auto& r : saved) {
    if (!bindings_.restore(r.aor, r.contacts, sip_clock::now())) continue;
    publish(r.aor);
    registered(r.aor);
  }
}

void registrar::registered(const std::string& aor) const {
  if (!on_registered_) return;
  bridge_.to_overlay([cb = on_registered_, aor] { cb(aor); });
}

// The control plane hears of a binding set that changed.
void registrar::announce(registration_info info) const {
  if (changed_here_) changed_here_(info.aor);
  if (!on_registration_) return;
  auto cb = on_registration_;
  bridge_.to_overlay([cb, info = std::move(info)] { cb(info); });
}

}  // namespace p2psip::sip
