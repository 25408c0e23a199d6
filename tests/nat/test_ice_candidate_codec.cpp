// ICE candidates between libnice, this layer and RFC 6940 Attach bodies
// (§6.5.1), both ways, and the checks on what a peer sent.
#include <catch2/catch.hpp>

#include "nat/ice_candidate_codec.hpp"
#include "nat/nice_candidate.hpp"
#include "nat_test_util.hpp"
#include "wire/codec.hpp"

using namespace p2psip;
using namespace p2psip::nat;
using nat::test::endpoint;

namespace {

ice_candidate host_candidate() {
  return {endpoint("192.0.2.1", 40000), ice_candidate_type::host, 2130706431, "1", std::nullopt};
}

ice_candidate srflx_candidate() {
  return {endpoint("203.0.113.9", 61000), ice_candidate_type::srflx, 1694498815, "2",
          endpoint("192.0.2.1", 40000)};
}

ice_candidate relay_candidate() {
  return {endpoint("2001:db8::7", 50000), ice_candidate_type::relay, 16777215, "3",
          endpoint("2001:db8::1", 40002)};
}

ice_description local_description() {
  return {{"ufrg", "a-password-of-22-chars"},
          {host_candidate(), srflx_candidate(), relay_candidate()}};
}

}  // namespace

TEST_CASE("a candidate goes to IceCandidate with the DTLS-UDP-SR link and back unchanged") {
  for (const auto& candidate : {host_candidate(), srflx_candidate(), relay_candidate()}) {
    INFO(to_string(candidate.type));
    const auto encoded = to_wire(candidate);
    REQUIRE(encoded);
    CHECK(encoded->overlay_link == wire::overlay_link_type::dtls_udp_sr);
    CHECK(encoded->priority == candidate.priority);
    CHECK(encoded->rel_addr_port.has_value() == (candidate.type != ice_candidate_type::host));
    CHECK(from_wire(*encoded) == candidate);
  }
  CHECK(to_wire(host_candidate())->type == wire::cand_type::host);
  CHECK(to_wire(srflx_candidate())->type == wire::cand_type::srflx);
  CHECK(to_wire(relay_candidate())->type == wire::cand_type::relay);
}

TEST_CASE("a peer-reflexive candidate has no IceCandidate form") {
  auto prflx = srflx_candidate();
  prflx.type = ice_candidate_type::prflx;
  CHECK_FALSE(to_wire(prflx));
}

TEST_CASE("a server-reflexive candidate without a base is signalled as its own base") {
  auto candidate = srflx_candidate();
  candidate.related.reset();
  const auto encoded = to_wire(candidate);
  REQUIRE(encoded);
  CHECK(wire::to_bytes(*encoded));
  CHECK(from_wire(*encoded)->related == candidate.address);
}

TEST_CASE("IceCandidates this agent cannot use are refused") {
  const auto good = *to_wire(host_candidate());
  auto other_link = good;
  other_link.overlay_link = wire::overlay_link_type::tls_tcp_fh_no_ice;
  auto port_zero = good;
  std::get<wire::ipv4_addr_port>(port_zero.addr_port.value).port = 0;
  auto unknown_family = good;
  unknown_family.addr_port.value = wire::unknown_address{9, {1, 2, 3}};
  auto no_type = good;
  no_type.type = wire::cand_type::invalid;
  CHECK_FALSE(from_wire(other_link));
  CHECK_FALSE(from_wire(port_zero));
  CHECK_FALSE(from_wire(unknown_family));
  CHECK_FALSE(from_wire(no_type));
}

TEST_CASE("an Attach body carries credentials, role and candidates through the codec") {
  const auto body = to_attach_body(local_description(), ice_role::controlling);
  CHECK(body.role == wire::attach_offerer_role());
  CHECK(to_attach_body(local_description(), ice_role::controlled).role ==
        wire::attach_answerer_role());
  CHECK(std::string(body.ufrag.begin(), body.ufrag.end()) == "ufrg");

  const auto bytes = wire::to_bytes(body);
  REQUIRE(bytes);
  const auto decoded = wire::from_bytes<wire::attach_req_ans>(bytes.value());
  REQUIRE(decoded);
  const auto remote = from_attach_body(decoded.value(), ice_role::controlled);
  REQUIRE(remote);
  CHECK(*remote == local_description());
}

TEST_CASE("an Attach body is refused with the wrong role or too short credentials") {
  const auto body = to_attach_body(local_description(), ice_role::controlling);
  CHECK_FALSE(from_attach_body(body, ice_role::controlling));

  auto short_ufrag = body;
  short_ufrag.ufrag.resize(3);
  CHECK_FALSE(from_attach_body(short_ufrag, ice_role::controlled));
  auto short_password = body;
  short_password.password.resize(21);
  CHECK_FALSE(from_attach_body(short_password, ice_role::controlled));
}

TEST_CASE("peer-reflexive and unusable candidates are left out of Attach bodies") {
  auto local = local_description();
  local.candidates[0].type = ice_candidate_type::prflx;
  auto body = to_attach_body(local, ice_role::controlled);
  CHECK(body.candidates.size() == 2);
  body.candidates[0].overlay_link = wire::overlay_link_type::dtls_udp_sr_no_ice;
  const auto remote = from_attach_body(body, ice_role::controlling);
  REQUIRE(remote);
  REQUIRE(remote->candidates.size() == 1);
  CHECK(remote->candidates[0] == relay_candidate());
}

TEST_CASE("a candidate goes to libnice and back unchanged") {
  for (const auto& candidate : {host_candidate(), srflx_candidate(), relay_candidate()}) {
    INFO(to_string(candidate.type));
    const auto nice = to_nice(candidate, 7);
    CHECK(nice->stream_id == 7);
    CHECK(nice->component_id == nice_component_id);
    CHECK(nice->transport == NICE_CANDIDATE_TRANSPORT_UDP);
    CHECK(from_nice(*nice) == candidate);
  }
}

TEST_CASE("libnice's candidate types and addresses map onto this layer's") {
  nice_candidate_ptr prflx(nice_candidate_new(NICE_CANDIDATE_TYPE_PEER_REFLEXIVE));
  nice_address_set_from_string(&prflx->addr, "198.51.100.4");
  nice_address_set_port(&prflx->addr, 3478);
  nice_address_set_from_string(&prflx->base_addr, "10.0.0.2");
  nice_address_set_port(&prflx->base_addr, 5000);
  prflx->priority = 1845501695;
  g_strlcpy(prflx->foundation, "7", sizeof prflx->foundation);
  const ice_candidate expected{endpoint("198.51.100.4", 3478), ice_candidate_type::prflx,
                               1845501695, "7", endpoint("10.0.0.2", 5000)};
  CHECK(from_nice(*prflx) == expected);

  // A host candidate's base is itself: it is not a related address.
  nice_candidate_ptr host(nice_candidate_new(NICE_CANDIDATE_TYPE_HOST));
  nice_address_set_from_string(&host->addr, "::1");
  nice_address_set_port(&host->addr, 9);
  host->base_addr = host->addr;
  const auto converted = from_nice(*host);
  CHECK(converted.address == endpoint("::1", 9));
  CHECK_FALSE(converted.related);
}
