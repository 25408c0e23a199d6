// What the overlay hands its upper layers: a request delivered to this node,
// the means to answer it once, and the outcome of a request this node sent.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "wire/basic_result.hpp"
#include "wire/codec_error.hpp"
#include "wire/message.hpp"
#include "wire/message_body.hpp"

namespace p2psip::overlay {

using wire::node_id;

class overlay_node;

// A request that reached this node, signature verified and body decoded.
struct incoming_request {
  wire::message message;
  wire::message_body body;
  node_id sender;    // the verified signer
  std::size_t hops;  // overlay links crossed on the way here
  const wire::forwarding_header& header() const noexcept { return message.header; }
};

// Answers one request exactly once; later calls, or calls after the node has
// stopped, do nothing. Dropping a responder unanswered leaves the requester
// to time out, which is what the RFC asks for in the silent-drop cases.
class responder {
 public:
  responder(std::weak_ptr<overlay_node*> node, std::shared_ptr<const incoming_request> request)
      : node_(std::move(node)), request_(std::move(request)) {}
  void answer(wire::message_body body);
  void error(wire::reload_error_code code, std::string info);
  const incoming_request& request() const noexcept { return *request_; }

 private:
  std::weak_ptr<overlay_node*> node_;
  std::shared_ptr<const incoming_request> request_;
  bool done_ = false;
};

using request_handler = std::function<void(const incoming_request&, responder)>;

// Why a request this node sent got no usable answer.
enum class request_failure {
  timeout,         // no answer after every retransmission (§6.2.1)
  error_response,  // the far end answered with an ErrorResponse
  not_routable,    // this node had nowhere to send it
  too_large,       // over max-message-size: this node did not send it
  isolated,        // this node lost every link to its overlay (no one to ask)
  bad_answer,      // the answer did not decode or verify
  stopped,         // the node stopped first
};

const char* to_string(request_failure failure) noexcept;

struct request_error {
  request_failure failure = request_failure::timeout;
  wire::reload_error_code code = wire::reload_error_code::invalid;  // for error_response
  std::string info;
  node_id responder;  // for error_response: who answered
};

struct answer {
  wire::message message;
  wire::message_body body;
  node_id responder;  // the verified signer
  std::size_t hops;   // links the answer crossed: the path length
};

using answer_result = wire::basic_result<answer, request_error>;
using answer_handler = std::function<void(answer_result)>;

}  // namespace p2psip::overlay
