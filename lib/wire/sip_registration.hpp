// SipRegistration, the SIP-REGISTRATION Kind's value, RFC 7904 §3.2.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"
#include "wire/destination.hpp"

namespace p2psip::wire {

enum class sip_registration_type : std::uint8_t { uri = 1, route = 2 };

// sip_registration_uri: another AOR to dereference.
struct sip_registration_uri {
  std::string uri;  // opaque uri<0..2^16-1>
  friend bool operator==(const sip_registration_uri&, const sip_registration_uri&) = default;
};

// sip_registration_route: how to reach the registrant's peer.
struct sip_registration_route {
  std::string contact_prefs;  // opaque contact_prefs<0..2^16-1>, RFC 3840 feature parameters
  std::vector<destination> destination_list;  // Destination destination_list<3..2^16-1>
  friend bool operator==(const sip_registration_route&, const sip_registration_route&) = default;
};

// "This type can be extended": any other type is kept as raw data, which the
// length field makes skippable, so it round-trips.
struct unknown_sip_registration {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> data;
  friend bool operator==(const unknown_sip_registration&,
                         const unknown_sip_registration&) = default;
};

// SipRegistration. `length` is computed by the encoder.
struct sip_registration {
  std::variant<sip_registration_uri, sip_registration_route, unknown_sip_registration> data;
  friend bool operator==(const sip_registration&, const sip_registration&) = default;
};

void encode(byte_writer& w, const sip_registration& v);
void decode(byte_reader& r, sip_registration& v);

}  // namespace p2psip::wire
