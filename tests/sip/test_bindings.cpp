#include <catch2/catch.hpp>

#include "sip/bindings.hpp"

using namespace p2psip::sip;
using namespace std::chrono_literals;

namespace {

const sip_clock::time_point t0{std::chrono::hours(1)};

contact_update contact(std::string uri, std::optional<std::chrono::seconds> expires = {}) {
  contact_update c;
  c.uri = std::move(uri);
  c.expires = expires;
  return c;
}

register_request reg(std::string call_id, std::uint32_t cseq, std::vector<contact_update> cs,
                     std::optional<std::chrono::seconds> expires = {}) {
  register_request r;
  r.aor = "sip:alice@office.example";
  r.call_id = std::move(call_id);
  r.cseq = cseq;
  r.contacts = std::move(cs);
  r.expires_header = expires;
  return r;
}

}  // namespace

TEST_CASE("AORs are normalized: host lowercased, port and parameters dropped") {
  CHECK(normalize_aor("sip:Alice@Office.Example:5060;transport=udp") == "sip:Alice@office.example");
  CHECK(normalize_aor("<sips:bob@example.com>") == "sip:bob@example.com");
  CHECK(normalize_aor("sip:bob:secret@example.com") == "sip:bob@example.com");
  CHECK(normalize_aor("sip:127.0.0.1:5060") == "sip:127.0.0.1");
  CHECK(normalize_aor("sip:alice@[::1]:5060") == "sip:alice@[::1]");
  CHECK(normalize_aor("tel:+123").empty());
  CHECK(normalize_aor("sip:alice@").empty());
  CHECK(normalize_aor("garbage").empty());
}

TEST_CASE("a binding lives until its expiry and a refresh extends it") {
  binding_table table;
  auto o = table.apply(reg("c1", 1, {contact("sip:alice@127.0.0.1:5070")}, 120s), t0);
  REQUIRE(o.status == 200);
  CHECK(o.changed);
  REQUIRE(o.current.size() == 1);
  CHECK(o.current[0].remaining(t0) == 120s);

  CHECK(table.lookup("sip:alice@office.example", t0 + 119s).size() == 1);
  CHECK(table.lookup("sip:alice@office.example", t0 + 120s).empty());

  auto refresh = table.apply(reg("c1", 2, {contact("sip:alice@127.0.0.1:5070")}, 300s), t0 + 100s);
  REQUIRE(refresh.status == 200);
  CHECK_FALSE(refresh.changed);
  CHECK(table.lookup("sip:alice@office.example", t0 + 350s).size() == 1);

  CHECK(table.expire(t0 + 399s).empty());
  auto gone = table.expire(t0 + 400s);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == "sip:alice@office.example");
  CHECK(table.aor_count() == 0);
}

TEST_CASE("the contact expires parameter wins over the Expires header; lifetimes are clamped") {
  registrar_limits lim;
  lim.max_expires = 600s;
  binding_table table(lim);
  auto o = table.apply(reg("c1", 1, {contact("sip:a@h1", 90s), contact("sip:a@h2")}, 7200s), t0);
  REQUIRE(o.status == 200);
  REQUIRE(o.current.size() == 2);
  for (const auto& b : o.current) {
    if (b.uri == "sip:a@h1") CHECK(b.remaining(t0) == 90s);
    if (b.uri == "sip:a@h2") CHECK(b.remaining(t0) == 600s);
  }
}

TEST_CASE("too brief an interval is refused with 423 and changes nothing") {
  binding_table table;
  REQUIRE(table.apply(reg("c1", 1, {contact("sip:a@h1")}, 3600s), t0).status == 200);
  auto o = table.apply(reg("c1", 2, {contact("sip:a@h2", 10s), contact("sip:a@h3")}), t0);
  CHECK(o.status == 423);
  CHECK(o.min_expires == 60s);
  auto live = table.lookup("sip:alice@office.example", t0);
  REQUIRE(live.size() == 1);
  CHECK(live[0].uri == "sip:a@h1");
}

TEST_CASE("Expires: 0 removes one contact, the others stay") {
  binding_table table;
  REQUIRE(table.apply(reg("c1", 1, {contact("sip:a@h1"), contact("sip:a@h2")}, 3600s), t0).status ==
          200);
  auto o = table.apply(reg("c1", 2, {contact("sip:a@h1")}, 0s), t0 + 1s);
  REQUIRE(o.status == 200);
  CHECK(o.changed);
  REQUIRE(o.current.size() == 1);
  CHECK(o.current[0].uri == "sip:a@h2");
}

TEST_CASE("Contact * with Expires: 0 removes every binding of the AOR only") {
  binding_table table;
  REQUIRE(table.apply(reg("c1", 1, {contact("sip:a@h1"), contact("sip:a@h2")}, 3600s), t0).status ==
          200);
  auto bob = reg("b1", 1, {contact("sip:b@h9")}, 3600s);
  bob.aor = "sip:bob@office.example";
  REQUIRE(table.apply(bob, t0).status == 200);

  register_request star = reg("c1", 2, {}, 0s);
  star.wildcard = true;
  auto o = table.apply(star, t0 + 1s);
  REQUIRE(o.status == 200);
  CHECK(o.changed);
  CHECK(o.current.empty());
  CHECK(table.lookup("sip:alice@office.example", t0 + 1s).empty());
  CHECK(table.lookup("sip:bob@office.example", t0 + 1s).size() == 1);
}

TEST_CASE("Contact * is refused unless alone and with Expires: 0") {
  binding_table table;
  REQUIRE(table.apply(reg("c1", 1, {contact("sip:a@h1")}, 3600s), t0).status == 200);
  register_request star = reg("c1", 2, {}, 3600s);
  star.wildcard = true;
  CHECK(table.apply(star, t0).status == 400);
  star.expires_header.reset();
  CHECK(table.apply(star, t0).status == 400);
  star.expires_header = 0s;
  star.contacts.push_back(contact("sip:a@h2"));
  CHECK(table.apply(star, t0).status == 400);
  CHECK(table.lookup("sip:alice@office.example", t0).size() == 1);
}

TEST_CASE("an out-of-order CSeq in the same Call-ID is refused with 500") {
  binding_table table;
  REQUIRE(table.apply(reg("c1", 5, {contact("sip:a@h1")}, 3600s), t0).status == 200);
  CHECK(table.apply(reg("c1", 5, {contact("sip:a@h1")}, 0s), t0).status == 500);
  CHECK(table.apply(reg("c1", 4, {contact("sip:a@h1")}, 0s), t0).status == 500);
  // Another Call-ID (another UA instance or a restart) may update it.
  CHECK(table.apply(reg("c2", 1, {contact("sip:a@h1")}, 0s), t0).status == 200);
}

TEST_CASE("+sip.instance with reg-id identifies the binding; the GRUU carries the gr token") {
  binding_table table({}, [](const std::string&, const std::string& instance) {
    return "tok-" + instance.substr(instance.size() - 4);
  });
  contact_update c = contact("sip:alice@10.0.0.1:5070");
  c.instance = "urn:uuid:00000000-0000-1000-8000-00000000aaaa";
  c.reg_id = 1;
  auto o = table.apply(reg("c1", 1, {c}, 3600s), t0);
  REQUIRE(o.status == 200);
  REQUIRE(o.current.size() == 1);
  CHECK(o.current[0].gruu == "sip:alice@office.example;gr=tok-aaaa");

  // Same instance and reg-id from a new address (new Call-ID after reboot):
  // the binding is replaced, not added.
  c.uri = "sip:alice@10.0.0.2:5070";
  o = table.apply(reg("c9", 1, {c}, 3600s), t0 + 5s);
  REQUIRE(o.status == 200);
  REQUIRE(o.current.size() == 1);
  CHECK(o.current[0].uri == "sip:alice@10.0.0.2:5070");
  CHECK(o.changed);

  // A second instance gets its own binding.
  contact_update d = contact("sip:alice@10.0.0.3:5070");
  d.instance = "urn:uuid:00000000-0000-1000-8000-00000000bbbb";
  d.reg_id = 1;
  REQUIRE(table.apply(reg("c7", 1, {d}, 3600s), t0 + 6s).status == 200);
  CHECK(table.lookup("sip:alice@office.example", t0 + 6s).size() == 2);

  auto by_gruu = table.lookup_gruu("sip:alice@office.example", "tok-bbbb", t0 + 6s);
  REQUIRE(by_gruu.size() == 1);
  CHECK(by_gruu[0].uri == "sip:alice@10.0.0.3:5070");
  CHECK(table.lookup_gruu("sip:alice@office.example", "nope", t0 + 6s).empty());
}

TEST_CASE("contacts come back best q first; limits per AOR hold") {
  registrar_limits lim;
  lim.max_contacts_per_aor = 2;
  binding_table table(lim);
  contact_update lo = contact("sip:a@lo");
  lo.q_milli = 100;
  contact_update hi = contact("sip:a@hi");
  hi.q_milli = 900;
  REQUIRE(table.apply(reg("c1", 1, {lo, hi}, 3600s), t0).status == 200);
  auto live = table.lookup("sip:alice@office.example", t0);
  REQUIRE(live.size() == 2);
  CHECK(live[0].uri == "sip:a@hi");
  CHECK(table.apply(reg("c1", 2, {contact("sip:a@third")}, 3600s), t0).status == 403);
  CHECK(table.lookup("sip:alice@office.example", t0).size() == 2);
}

TEST_CASE("snapshot and next_expiry report live bindings for the control plane") {
  binding_table table;
  REQUIRE(table.apply(reg("c1", 1, {contact("sip:a@h1", 100s)}, 3600s), t0).status == 200);
  auto snap = table.snapshot(t0 + 10s);
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].aor == "sip:alice@office.example");
  CHECK(snap[0].contacts[0].remaining(t0 + 10s) == 90s);
  REQUIRE(table.next_expiry());
  CHECK(*table.next_expiry() == t0 + 100s);
}

TEST_CASE("restore puts back the live saved bindings with their GRUUs derived again") {
  registrar_limits lim;
  lim.max_contacts_per_aor = 2;
  lim.max_expires = 600s;
  binding_table table(
      lim, [](const std::string&, const std::string& instance) { return "tok-" + instance; });
  auto saved = [](std::string uri, std::string instance, sip_clock::time_point expires,
                  std::uint16_t q = 1000) {
    contact_binding b;
    b.uri = std::move(uri);
    b.instance = std::move(instance);
    b.reg_id = 1;
    b.q_milli = q;
    b.call_id = "c1";
    b.cseq = 7;
    b.expires_at = expires;
    b.gruu = "sip:alice@office.example;gr=stale";  // not trusted: derived again
    return b;
  };
  const std::string aor = "sip:alice@office.example";
  REQUIRE(table.restore(
      aor,
      {saved("sip:alice@h1", "one", t0 + 100s, 500), saved("sip:alice@h2", "two", t0 + 2000s),
       saved("sip:alice@h3", "", t0 - 1s),  // expired
       saved("sip:alice@h4", "", t0 + 50s, 100)},
      t0));
  auto live = table.lookup(aor, t0);
  REQUIRE(live.size() == 2);  // the expired one dropped, then the worst q over the limit
  CHECK(live[0].uri == "sip:alice@h2");
  CHECK(live[0].remaining(t0) == 600s);  // clamped to max_expires
  CHECK(live[0].gruu == aor + ";gr=tok-two");
  CHECK(live[1].uri == "sip:alice@h1");
  CHECK(live[1].remaining(t0) == 100s);
  CHECK(live[1].cseq == 7);
  CHECK(table.lookup_gruu(aor, "tok-one", t0).size() == 1);

  // A REGISTER that came first wins; out-of-order CSeqs stay refused.
  CHECK_FALSE(table.restore(aor, {saved("sip:alice@h9", "", t0 + 100s)}, t0));
  contact_update same = contact("sip:alice@h1");
  same.instance = "one";
  same.reg_id = 1;
  CHECK(table.apply(reg("c1", 7, {same}, 300s), t0).status == 500);
  CHECK(table.apply(reg("c1", 8, {same}, 300s), t0).status == 200);

  // Nothing live, a bad AOR: nothing restored.
  CHECK_FALSE(table.restore("sip:bob@office.example", {saved("sip:bob@h", "", t0)}, t0));
  CHECK_FALSE(table.restore("sip:Bob@Office.Example:5060", {saved("sip:bob@h", "", t0 + 9s)}, t0));
  CHECK(table.aor_count() == 1);
}
