// Every RELOAD message body, selected by message code (§6.3.3, §14.8): the
// step from MessageContents' raw body to a typed structure and back.
#pragma once

#include <variant>
#include <vector>

#include "wire/app_attach.hpp"
#include "wire/attach.hpp"
#include "wire/codec_error.hpp"
#include "wire/config_update.hpp"
#include "wire/error_response.hpp"
#include "wire/fetch.hpp"
#include "wire/find.hpp"
#include "wire/join.hpp"
#include "wire/leave.hpp"
#include "wire/message_code.hpp"
#include "wire/ping.hpp"
#include "wire/probe.hpp"
#include "wire/route_query.hpp"
#include "wire/stat.hpp"
#include "wire/store.hpp"
#include "wire/stored_data.hpp"
#include "wire/update.hpp"

namespace p2psip::wire {

// Attach and AppAttach use one structure for request and answer; the message
// code, kept beside the body, tells them apart.
using body_value =
    std::variant<probe_req, probe_ans, attach_req_ans, store_req, store_ans, fetch_req, fetch_ans,
                 find_req, find_ans, join_req, join_ans, leave_req, leave_ans, update_req,
                 update_ans, route_query_req, route_query_ans, ping_req, ping_ans, stat_req,
                 stat_ans, app_attach_req_ans, config_update_req, config_update_ans,
                 error_response>;

struct message_body {
  message_code code = message_code::invalid;
  body_value value;
  friend bool operator==(const message_body&, const message_body&) = default;
};

// Decodes `body` as the structure `code` names. Codes with no defined body
// (unassigned, the experimental exp_a/exp_b) fail with unknown_type. Storage
// bodies need each Kind's data model, which the wire does not carry.
result<message_body> decode_body(message_code code, bytes_view body,
                                 const data_model_lookup& models);

// Encodes the body; fails with invalid_value if `code` does not name the
// structure held in `value`.
result<std::vector<std::uint8_t>> encode_body(const message_body& body);

}  // namespace p2psip::wire
