#include "nat/nice_candidate.hpp"

#include <glib.h>

namespace p2psip::nat {

namespace {

NiceCandidateType nice_type(ice_candidate_type type) {
  switch (type) {
    case ice_candidate_type::host: return NICE_CANDIDATE_TYPE_HOST;
    case ice_candidate_type::srflx: return NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
    case ice_candidate_type::prflx: return NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
    case ice_candidate_type::relay: return NICE_CANDIDATE_TYPE_RELAYED;
  }
  return NICE_CANDIDATE_TYPE_HOST;
}

ice_candidate_type our_type(NiceCandidateType type) {
  switch (type) {
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return ice_candidate_type::srflx;
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return ice_candidate_type::prflx;
    case NICE_CANDIDATE_TYPE_RELAYED: return ice_candidate_type::relay;
    case NICE_CANDIDATE_TYPE_HOST: break;
  }
  return ice_candidate_type::host;
}

}  // namespace

transport_address to_transport_address(const NiceAddress& address) {
  transport_address out;
  nice_address_copy_to_sockaddr(&address, out.data());
  return out;
}

NiceAddress to_nice_address(const transport_address& address) {
  NiceAddress out;
  nice_address_init(&out);
  nice_address_set_from_sockaddr(&out, address.data());
  return out;
}

ice_candidate from_nice(const NiceCandidate& candidate) {
  ice_candidate out;
  out.address = to_transport_address(candidate.addr);
  out.type = our_type(candidate.type);
  out.priority = candidate.priority;
  out.foundation = candidate.foundation;
  if (out.type != ice_candidate_type::host && nice_address_is_valid(&candidate.base_addr)) {
    out.related = to_transport_address(candidate.base_addr);
  }
  return out;
}

nice_candidate_ptr to_nice(const ice_candidate& candidate, guint stream_id) {
  nice_candidate_ptr out(nice_candidate_new(nice_type(candidate.type)));
  out->transport = NICE_CANDIDATE_TRANSPORT_UDP;
  out->addr = to_nice_address(candidate.address);
  out->base_addr = to_nice_address(candidate.related.value_or(candidate.address));
  out->priority = candidate.priority;
  out->stream_id = stream_id;
  out->component_id = nice_component_id;
  g_strlcpy(out->foundation, candidate.foundation.c_str(), sizeof out->foundation);
  return out;
}

}  // namespace p2psip::nat
