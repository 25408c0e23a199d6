#include "sample_messages.hpp"

#include "wire/chord.hpp"
#include "wire/id_hash.hpp"
#include "wire/sip_registration.hpp"

namespace p2psip::samples {

using namespace wire;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

node_id node(std::uint8_t seed) {
  node_id::bytes_type b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(seed * 17 + i);
  return node_id(b);
}

ice_candidate host_candidate(std::uint16_t port) {
  ice_candidate c;
  c.addr_port = ip_address_port{ipv4_addr_port{0x7f000001, port}};
  c.overlay_link = overlay_link_type::tls_tcp_fh_no_ice;
  c.foundation = bytes_of("1");
  c.priority = 2130706431;
  c.type = cand_type::host;
  return c;
}

signature sample_signature() {
  signature s;
  s.algorithm = {hash_algorithm::sha256, signature_algorithm::ecdsa};
  s.identity.type = static_cast<std::uint8_t>(signer_identity_type::cert_hash);
  s.identity.hash_alg = hash_algorithm::sha256;
  s.identity.hash.assign(32, 0xab);
  s.value.assign(71, 0x30);  // a DER ECDSA P-256 signature is about 71 bytes
  return s;
}

stored_data registration_value() {
  sip_registration reg;
  sip_registration_route route;
  route.contact_prefs = "+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"";
  route.destination_list = {destination::node(node(7))};
  reg.data = route;
  stored_data d;
  d.storage_time = 1'790'000'000'000;
  d.lifetime = 3600;
  const auto owner = node(7).bytes();  // one array: begin and end of the same range
  d.value.entry = dictionary_entry{std::vector<std::uint8_t>(owner.begin(), owner.end()),
                                   data_value{true, *to_bytes(reg)}};
  d.signature = sample_signature();
  return d;
}

resource_id alice() { return hash_resource_name("sip:alice@office.example"); }

}  // namespace

message_body chord_full_update() {
  chord_full full;
  full.neighbors.predecessors = {node(1), node(2), node(3)};
  full.neighbors.successors = {node(4), node(5), node(6)};
  for (std::uint8_t i = 0; i < 16; ++i) full.fingers.push_back(node(static_cast<std::uint8_t>(20 + i)));
  chord_update update;
  update.uptime = 86400;
  update.contents = full;
  return {message_code::update_req, *to_update_req(update)};
}

message_body sip_registration_store() {
  store_req req;
  req.resource = alice();
  store_kind_data kind;
  kind.kind = well_known_kind::sip_registration;
  kind.generation = generation_counter{42};
  kind.values = std::vector<stored_data>{registration_value()};
  req.kind_data.push_back(std::move(kind));
  return {message_code::store_req, std::move(req)};
}

message_body sip_registration_fetch_answer() {
  fetch_ans ans;
  fetch_kind_response kind;
  kind.kind = well_known_kind::sip_registration;
  kind.generation = generation_counter{42};
  kind.values = std::vector<stored_data>{registration_value()};
  ans.kind_responses.push_back(std::move(kind));
  return {message_code::fetch_ans, std::move(ans)};
}

std::vector<named_body> every_body() {
  std::vector<named_body> out;
  auto add = [&](std::string name, message_code code, body_value value) {
    out.push_back({std::move(name), {code, std::move(value)}});
  };

  add("ProbeReq", message_code::probe_req,
      probe_req{{probe_information_type::responsible_set, probe_information_type::uptime}});
  add("ProbeAns", message_code::probe_ans,
      probe_ans{{probe_information{probe_responsible_set{1'000'000}},
                 probe_information{probe_uptime{3600}}}});

  attach_req_ans attach;
  attach.ufrag = bytes_of("f00d");
  attach.password = bytes_of("0123456789abcdef01234567");
  attach.role = bytes_of("active");
  attach.candidates = {host_candidate(6084)};
  attach.send_update = true;
  add("AttachReq", message_code::attach_req, attach);
  attach.role = bytes_of("passive");
  add("AttachAns", message_code::attach_ans, attach);

  out.push_back({"StoreReq", sip_registration_store()});
  add("StoreAns", message_code::store_ans,
      store_ans{{store_kind_response{well_known_kind::sip_registration, generation_counter{42},
                                     {node(4), node(5)}}}});

  fetch_req fetch;
  fetch.resource = alice();
  fetch.specifiers = {stored_data_specifier{well_known_kind::sip_registration,
                                            generation_counter{0},
                                            std::vector<dictionary_key>{}}};
  add("FetchReq", message_code::fetch_req, fetch);
  out.push_back({"FetchAns", sip_registration_fetch_answer()});

  add("FindReq", message_code::find_req, find_req{alice(), {well_known_kind::sip_registration}});
  add("FindAns", message_code::find_ans,
      find_ans{{find_kind_data{well_known_kind::sip_registration, alice()}}});

  add("JoinReq", message_code::join_req, join_req{node(9), {}});
  add("JoinAns", message_code::join_ans, join_ans{});
  add("LeaveReq", message_code::leave_req,
      *to_leave_req(node(9), chord_leave_data{chord_leave_from_succ{{node(4), node(5)}}}));
  add("LeaveAns", message_code::leave_ans, leave_ans{});
  out.push_back({"UpdateReq", chord_full_update()});
  add("UpdateAns", message_code::update_ans, update_ans{});
  add("RouteQueryReq", message_code::route_query_req,
      route_query_req{false, destination::resource(alice()), {}});
  add("RouteQueryAns", message_code::route_query_ans,
      *to_route_query_ans(chord_route_query_ans{node(5)}));
  add("PingReq", message_code::ping_req, ping_req{});
  add("PingAns", message_code::ping_ans, ping_ans{0x1122334455667788, 1'790'000'000'000});

  stat_req stat;
  stat.resource = alice();
  stat.specifiers = fetch.specifiers;
  add("StatReq", message_code::stat_req, stat);
  stored_meta_data meta;
  meta.value_length = 120;
  meta.storage_time = 1'790'000'000'000;
  meta.lifetime = 3600;
  meta.metadata.entry = dictionary_entry_meta{bytes_of("k"), meta_data{true, 120, hash_algorithm::sha256,
                                                                      std::vector<std::uint8_t>(32, 1)}};
  stat_kind_response stat_kind;
  stat_kind.kind = well_known_kind::sip_registration;
  stat_kind.generation = generation_counter{42};
  stat_kind.values = std::vector<stored_meta_data>{meta};
  add("StatAns", message_code::stat_ans, stat_ans{{stat_kind}});

  app_attach_req_ans app;
  app.ufrag = bytes_of("beef");
  app.password = bytes_of("fedcba9876543210fedcba98");
  app.application = application_id{5060};
  app.role = bytes_of("active");
  app.candidates = {host_candidate(40000)};
  add("AppAttachReq", message_code::app_attach_req, app);
  app.role = bytes_of("passive");
  add("AppAttachAns", message_code::app_attach_ans, app);

  add("ConfigUpdateReq", message_code::config_update_req,
      config_update_req{config_update_kinds{{bytes_of("<kind name=\"SIP-REGISTRATION\"/>")}}});
  add("ConfigUpdateAns", message_code::config_update_ans, config_update_ans{});
  add("Error", message_code::error,
      error_response{reload_error_code::not_found, bytes_of("no such resource")});
  return out;
}

message wrap(const message_body& body) {
  message m;
  m.header.overlay = hash_overlay_name("office.example");
  m.header.configuration_sequence = config_sequence{7};
  m.header.ttl = 99;
  m.header.transaction_id = transaction_id{0x0123456789abcdefULL};
  m.header.via_list = {destination::node(node(1))};
  m.header.destination_list = {destination::node(node(5))};
  m.contents.code = body.code;
  m.contents.body = *encode_body(body);
  m.security.certificates = {generic_certificate{0, std::vector<std::uint8_t>(300, 0x5a)}};
  m.security.signature = sample_signature();
  return m;
}

}  // namespace p2psip::samples
