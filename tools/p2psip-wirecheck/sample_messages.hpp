// One representative body of every RELOAD message type, and whole signed-looking
// messages around them. Shared by p2psip-wirecheck, the codec benchmark and
// the dispatcher tests, so all three exercise the same realistic shapes.
#pragma once

#include <string>
#include <vector>

#include "wire/message.hpp"
#include "wire/message_body.hpp"

namespace p2psip::samples {

struct named_body {
  std::string name;  // short description for tables
  wire::message_body body;
};

// A body for every message code that defines one, in code order.
std::vector<named_body> every_body();

// A CHORD Update carrying a full routing table (3+3 neighbours, 16 fingers).
wire::message_body chord_full_update();
// A StoreReq of one SIP registration (dictionary), about 300 bytes encoded.
wire::message_body sip_registration_store();
// A FetchAns returning that registration.
wire::message_body sip_registration_fetch_answer();

// `body` in a message routed to one node, through one via hop, with a
// SecurityBlock holding a 300-byte certificate and an ECDSA-sized signature.
wire::message wrap(const wire::message_body& body);

}  // namespace p2psip::samples
