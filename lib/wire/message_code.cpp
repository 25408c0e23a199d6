#include "wire/message_code.hpp"

namespace p2psip::wire {

const char* to_string(message_code c) noexcept {
  switch (c) {
    case message_code::invalid: return "invalid";
    case message_code::probe_req: return "probe_req";
    case message_code::probe_ans: return "probe_ans";
    case message_code::attach_req: return "attach_req";
    case message_code::attach_ans: return "attach_ans";
    case message_code::store_req: return "store_req";
    case message_code::store_ans: return "store_ans";
    case message_code::fetch_req: return "fetch_req";
    case message_code::fetch_ans: return "fetch_ans";
    case message_code::find_req: return "find_req";
    case message_code::find_ans: return "find_ans";
    case message_code::join_req: return "join_req";
    case message_code::join_ans: return "join_ans";
    case message_code::leave_req: return "leave_req";
    case message_code::leave_ans: return "leave_ans";
    case message_code::update_req: return "update_req";
    case message_code::update_ans: return "update_ans";
    case message_code::route_query_req: return "route_query_req";
    case message_code::route_query_ans: return "route_query_ans";
    case message_code::ping_req: return "ping_req";
    case message_code::ping_ans: return "ping_ans";
    case message_code::stat_req: return "stat_req";
    case message_code::stat_ans: return "stat_ans";
    case message_code::app_attach_req: return "app_attach_req";
    case message_code::app_attach_ans: return "app_attach_ans";
    case message_code::config_update_req: return "config_update_req";
    case message_code::config_update_ans: return "config_update_ans";
    case message_code::exp_a_req: return "exp_a_req";
    case message_code::exp_a_ans: return "exp_a_ans";
    case message_code::exp_b_req: return "exp_b_req";
    case message_code::exp_b_ans: return "exp_b_ans";
    case message_code::error: return "error";
  }
  return "unassigned";
}

}  // namespace p2psip::wire
