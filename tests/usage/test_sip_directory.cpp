// The pure pieces of p2psipd's SIP directory (usage/sip_directory.hpp):
// AOR Resource Names, RFC 7904 §6 GRUU tokens, SIP-REGISTRATION values as
// stored and as a FetchAns returns them, and the sip config's register policy. Publishing and
// resolving over a real overlay is tests/sip/test_p2psipd_sip.sh's.
#include <catch2/catch.hpp>

#include "usage/sip_directory.hpp"
#include "usage/sip_service.hpp"
#include "sip/routing.hpp"
#include "wire/codec.hpp"

using namespace p2psip;
using usage::aor_resource_name;

namespace {

wire::node_id node(std::uint8_t fill) {
  std::array<std::uint8_t, wire::node_id_length> bytes{};
  bytes.fill(fill);
  return *wire::node_id::from_span(bytes);
}

wire::sip_registration route_to(const wire::node_id& id) {
  return {wire::sip_registration_route{"audio", {wire::destination::node(id)}}};
}

}  // namespace

TEST_CASE("an AOR's Resource Name is user@domain without scheme or parameters") {
  CHECK(aor_resource_name("sip:alice@office.example") == "alice@office.example");
  CHECK(aor_resource_name("SIPS:bob@example.org;gr=abc") == "bob@example.org");
  CHECK(aor_resource_name("carol@example.org") == "carol@example.org");
  CHECK(aor_resource_name("sip:dave@Example.ORG:5060?subject=x") == "dave@example.org");
  CHECK(aor_resource_name("<sip:erin@example.org>") == "erin@example.org");
  CHECK(aor_resource_name("tel:+123").empty());
}

TEST_CASE("a GRUU token is the base64 of a destination list with ~ for =") {
  const std::vector<wire::destination> list{wire::destination::node(node(0x42))};
  const auto token = usage::gruu_token(list);
  REQUIRE_FALSE(token.empty());
  CHECK(token.find('=') == std::string::npos);
  CHECK(token.size() == 24);  // one Node-ID Destination: 18 bytes
  const auto back = usage::parse_gruu_token(token);
  REQUIRE(back);
  CHECK(*back == list);
  CHECK(usage::terminal_node(*back) == node(0x42));

  SECTION("two hops end at the last node") {
    const std::vector<wire::destination> two{wire::destination::node(node(1)),
                                             wire::destination::node(node(2))};
    const auto parsed = usage::parse_gruu_token(usage::gruu_token(two));
    REQUIRE(parsed);
    CHECK(usage::terminal_node(*parsed) == node(2));
  }
  SECTION("garbage is refused") {
    CHECK_FALSE(usage::parse_gruu_token(""));
    CHECK_FALSE(usage::parse_gruu_token("abc"));
    CHECK_FALSE(usage::parse_gruu_token("!!!!"));
    CHECK_FALSE(usage::parse_gruu_token("AAAA"));               // 3 zero bytes: not a Destination
    CHECK_FALSE(usage::parse_gruu_token(token.substr(0, 20)));  // cut short
  }
  SECTION("padding is written as ~ and read back") {
    // A resource Destination of 5 bytes (type, length, a 1-byte length and a
    // 2-byte id) encodes to 8 characters, the last one padding.
    const auto id = wire::resource_id::from_span(std::vector<std::uint8_t>{0xab, 0xcd});
    REQUIRE(id);
    const std::vector<wire::destination> short_list{wire::destination::resource(*id)};
    const auto padded = usage::gruu_token(short_list);
    CHECK(padded.size() == 8);
    CHECK(padded == "AgMCq80~");
    const auto parsed = usage::parse_gruu_token(padded);
    REQUIRE(parsed);
    CHECK(*parsed == short_list);
  }
}

TEST_CASE("an instance's GRUU names the node, then an opaque ID for AOR and instance") {
  const std::string aor = "sip:alice@office.example";
  const std::string phone = "urn:uuid:00000000-0000-1000-8000-000000000001";
  const std::string laptop = "urn:uuid:00000000-0000-1000-8000-000000000002";
  const auto token = usage::instance_gruu_token(node(0x42), aor, phone);
  CHECK(token.find_first_of("=;?>") == std::string::npos);  // a valid URI parameter value
  const auto list = usage::parse_gruu_token(token);
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0] == wire::destination::node(node(0x42)));
  CHECK(std::holds_alternative<wire::opaque_id>((*list)[1].value));
  // The caller's daemon connects to the node; the opaque ID is that node's.
  CHECK(usage::terminal_node(*list) == node(0x42));

  // Stable for the same AOR and instance (across REGISTERs and restarts),
  // distinct for another instance, AOR or node.
  CHECK(usage::instance_gruu_token(node(0x42), aor, phone) == token);
  CHECK(usage::instance_gruu_token(node(0x42), aor, laptop) != token);
  CHECK(usage::instance_gruu_token(node(0x42), "sip:bob@office.example", phone) != token);
  CHECK(usage::instance_gruu_token(node(0x43), aor, phone) != token);
}

TEST_CASE("terminal_node: the last Node-ID, when only opaque IDs follow it") {
  const auto opaque = wire::destination{*wire::opaque_id::from_span(std::vector<std::uint8_t>{7})};
  const auto resource =
      wire::destination::resource(*wire::resource_id::from_span(std::vector<std::uint8_t>{9}));
  using list = std::vector<wire::destination>;
  CHECK(usage::terminal_node(list{wire::destination::node(node(1)), opaque, opaque}) == node(1));
  CHECK_FALSE(usage::terminal_node(list{opaque}));
  CHECK_FALSE(usage::terminal_node(list{}));
  CHECK_FALSE(usage::terminal_node(list{wire::destination::node(node(1)), resource}));
}

TEST_CASE("a request for one instance's GRUU reaches that instance only") {
  // The front's table with the daemon's gr_token: two devices of alice on
  // one node.
  const auto self = node(0x42);
  sip::binding_table table({}, [&](const std::string& aor, const std::string& instance) {
    return usage::instance_gruu_token(self, aor, instance);
  });
  const std::string aor = "sip:alice@office.example";
  std::vector<std::string> gruus;
  for (const char* device : {"1", "2"}) {
    sip::register_request r;
    r.aor = aor;
    r.call_id = std::string("call-") + device;
    r.cseq = 1;
    sip::contact_update c;
    c.uri = std::string("sip:alice@127.0.0.1:507") + device;
    c.instance = std::string("urn:uuid:00000000-0000-1000-8000-00000000000") + device;
    c.reg_id = 1;
    r.contacts.push_back(c);
    const auto o = table.apply(r, sip::sip_clock::now());
    REQUIRE(o.status == 200);
    gruus.push_back(o.current.back().gruu);
  }
  REQUIRE(gruus[0] != gruus[1]);
  struct no_directory final : sip::overlay_directory {
    void publish(const sip::binding_set&) override {}
    void withdraw(const std::string&) override {}
    void lookup(const std::string&, std::function<void(sip::lookup_result)> done) override {
      done({});
    }
  } directory;
  sip::request_router router(table, directory, self);
  for (std::size_t device = 0; device < 2; ++device) {
    const auto gr = usage::gruu_parameter(gruus[device]);
    REQUIRE(gr);
    std::vector<sip::route_target> targets;
    router.route(aor, *gr, sip::sip_clock::now(),
                 [&](sip::route_decision d) { targets = d.targets; });
    REQUIRE(targets.size() == 1);
    CHECK(targets[0].uri == "sip:alice@127.0.0.1:507" + std::to_string(device + 1));
  }
}

TEST_CASE("the gr parameter is found among a URI's parameters") {
  CHECK(usage::gruu_parameter("sip:alice@x;gr=QUJD~") == "QUJD~");
  CHECK(usage::gruu_parameter("sip:alice@x;transport=tcp;gr=QUJD;lr") == "QUJD");
  CHECK_FALSE(usage::gruu_parameter("sip:alice@x;grid=1"));
  CHECK_FALSE(usage::gruu_parameter("sip:alice@x"));
}

TEST_CASE("a SIP-REGISTRATION value is a dictionary entry keyed by the signer's Node-ID") {
  const auto key = node(7);
  const auto self = node(9);
  const auto data = usage::registration_value(key, route_to(self), 1234, 3600);
  CHECK(data.storage_time == 1234);
  CHECK(data.lifetime == 3600);
  const auto* entry = std::get_if<wire::dictionary_entry>(&data.value.entry);
  REQUIRE(entry);
  CHECK(entry->key == wire::dictionary_key(key.bytes().begin(), key.bytes().end()));
  REQUIRE(entry->value.exists);
  const auto decoded = wire::from_bytes<wire::sip_registration>(entry->value.value);
  REQUIRE(decoded);
  CHECK(*decoded == route_to(self));

  SECTION("a withdrawal is the same entry, nonexistent") {
    const auto gone = usage::registration_value(key, std::nullopt, 1235, 60);
    const auto* e = std::get_if<wire::dictionary_entry>(&gone.value.entry);
    REQUIRE(e);
    CHECK(e->key == entry->key);
    CHECK_FALSE(e->value.exists);
  }
}

TEST_CASE("registrations_in keeps existing, decodable SIP-REGISTRATION entries") {
  wire::fetch_ans answer;
  std::vector<wire::stored_data> values;
  values.push_back(usage::registration_value(node(1), route_to(node(2)), 1, 60));
  values.push_back(usage::registration_value(node(3), std::nullopt, 1, 60));  // withdrawn
  auto garbage = usage::registration_value(node(4), route_to(node(5)), 1, 60);
  std::get<wire::dictionary_entry>(garbage.value.entry).value.value = {0x02, 0x00};
  values.push_back(std::move(garbage));
  values.push_back(usage::registration_value(
      node(6), wire::sip_registration{wire::sip_registration_uri{"sip:sam@example.org"}}, 1, 60));
  answer.kind_responses.push_back(
      {wire::well_known_kind::sip_registration, wire::generation_counter{3}, std::move(values)});
  answer.kind_responses.push_back({wire::kind_id{0x12345}, wire::generation_counter{1},
                                   std::vector<wire::stored_data>{usage::registration_value(
                                       node(8), route_to(node(8)), 1, 60)}});

  const auto found = usage::registrations_in(answer);
  REQUIRE(found.size() == 2);
  CHECK(found[0] == route_to(node(2)));
  CHECK(std::get<wire::sip_registration_uri>(found[1].data).uri == "sip:sam@example.org");
}

TEST_CASE("the sip config decides which AORs may register") {
  usage::sip_config adhoc;  // no users, no domains: any user@domain
  CHECK(usage::sip_aor_allowed(adhoc, "sip:alice@anything.example"));
  CHECK_FALSE(usage::sip_aor_allowed(adhoc, "sip:anything.example"));  // no user part

  usage::sip_config office;
  office.domains = {"Office.Example"};
  CHECK(usage::sip_aor_allowed(office, "sip:bob@office.example"));
  CHECK_FALSE(usage::sip_aor_allowed(office, "sip:bob@elsewhere.example"));

  usage::sip_config listed;
  listed.users = {"alice@office.example", "sip:carol@office.example"};
  listed.domains = {"office.example"};  // users win over domains
  CHECK(usage::sip_aor_allowed(listed, "sip:alice@office.example"));
  CHECK(usage::sip_aor_allowed(listed, "sip:carol@office.example"));
  CHECK_FALSE(usage::sip_aor_allowed(listed, "sip:bob@office.example"));
}
