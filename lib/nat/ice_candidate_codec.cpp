#include "nat/ice_candidate_codec.hpp"

#include "runtime/wire_endpoint.hpp"

namespace p2psip::nat {

namespace {

// RFC 8445 §5.3: ufrag at least 4 characters, password at least 22.
constexpr std::size_t min_ufrag = 4;
constexpr std::size_t min_password = 22;

wire::ip_address_port wire_address(const transport_address& address) {
  return runtime::to_wire(address.address(), address.port());
}

std::optional<transport_address> transport_of(const wire::ip_address_port& address) {
  const auto parsed = runtime::from_wire(address);
  if (!parsed) return std::nullopt;
  return transport_address(parsed->first, parsed->second);
}

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

std::string text_of(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

std::vector<std::uint8_t> attach_role_of(ice_role sender) {
  return sender == ice_role::controlling ? wire::attach_offerer_role()
                                         : wire::attach_answerer_role();
}

}  // namespace

std::optional<wire::ice_candidate> to_wire(const ice_candidate& candidate) {
  wire::ice_candidate out;
  switch (candidate.type) {
    case ice_candidate_type::host: out.type = wire::cand_type::host; break;
    case ice_candidate_type::srflx: out.type = wire::cand_type::srflx; break;
    case ice_candidate_type::relay: out.type = wire::cand_type::relay; break;
    case ice_candidate_type::prflx: return std::nullopt;
  }
  out.addr_port = wire_address(candidate.address);
  out.overlay_link = wire::overlay_link_type::dtls_udp_sr;
  out.foundation = bytes_of(candidate.foundation);
  out.priority = candidate.priority;
  if (out.type != wire::cand_type::host) {
    // The encoder needs a related address for srflx and relay; a candidate
    // without one is its own base.
    out.rel_addr_port = wire_address(candidate.related.value_or(candidate.address));
  }
  return out;
}

std::optional<ice_candidate> from_wire(const wire::ice_candidate& candidate) {
  if (candidate.overlay_link != wire::overlay_link_type::dtls_udp_sr) return std::nullopt;
  ice_candidate out;
  switch (candidate.type) {
    case wire::cand_type::host: out.type = ice_candidate_type::host; break;
    case wire::cand_type::srflx: out.type = ice_candidate_type::srflx; break;
    case wire::cand_type::relay: out.type = ice_candidate_type::relay; break;
    case wire::cand_type::invalid: return std::nullopt;
  }
  const auto address = transport_of(candidate.addr_port);
  if (!address) return std::nullopt;
  out.address = *address;
  out.foundation = text_of(candidate.foundation);
  out.priority = candidate.priority;
  if (candidate.rel_addr_port) out.related = transport_of(*candidate.rel_addr_port);
  return out;
}

wire::attach_req_ans to_attach_body(const ice_description& local, ice_role our_role) {
  wire::attach_req_ans body;
  body.ufrag = bytes_of(local.credentials.ufrag);
  body.password = bytes_of(local.credentials.password);
  body.role = attach_role_of(our_role);
  for (const auto& candidate : local.candidates) {
    if (auto encoded = to_wire(candidate)) body.candidates.push_back(std::move(*encoded));
  }
  return body;
}

std::optional<ice_description> from_attach_body(const wire::attach_req_ans& body,
                                                ice_role our_role) {
  const ice_role sender =
      our_role == ice_role::controlling ? ice_role::controlled : ice_role::controlling;
  if (body.role != attach_role_of(sender)) return std::nullopt;
  if (body.ufrag.size() < min_ufrag || body.password.size() < min_password) return std::nullopt;
  ice_description remote{{text_of(body.ufrag), text_of(body.password)}, {}};
  for (const auto& candidate : body.candidates) {
    if (auto decoded = from_wire(candidate)) remote.candidates.push_back(std::move(*decoded));
  }
  return remote;
}

}  // namespace p2psip::nat
