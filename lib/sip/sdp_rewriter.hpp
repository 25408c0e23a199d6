// Plug-in point for media anchoring: every SDP body that the
// front forwards passes through an sdp_rewriter, and every dialog's end is
// told to it so that it can release what it holds for the call. The default
// is the identity, so without a rewriter SDP travels untouched. Called on
// the sip (su_root) thread: a rewriter may wait there only briefly (for
// work it hands to its own thread), never for the network.
#pragma once

#include <optional>
#include <string>

namespace p2psip::sip {

enum class sdp_direction { toward_callee, toward_caller };

struct sdp_context {
  std::string call_id;
  sdp_direction direction = sdp_direction::toward_callee;
  // A request: the next hop is another daemon. A response: it came from
  // another daemon (the branch was one to a daemon).
  bool remote_leg = false;
  int status = 0;  // a response's status code; 0 for a request
  // An ACK: it never starts an offer/answer (it carries a late offer's answer).
  bool ack = false;
  // A response no transaction matched (a 2xx retransmission): remote_leg
  // is not known, the rewriter must tell from the SDP itself.
  bool stray = false;
  // A response to an INVITE that carried no SDP: its SDP is the offer (a
  // late offer, RFC 3261 §13.2.1) and the ACK will carry the answer.
  bool late_offer = false;
  // A response going back to another daemon (the request came from one).
  bool upstream_daemon = false;
};

class sdp_rewriter {
 public:
  virtual ~sdp_rewriter() = default;
  // The body to forward, or nothing when the message cannot be forwarded
  // with its media (a request is then answered 488, a response dropped).
  // Must not throw.
  virtual std::optional<std::string> rewrite(const sdp_context& ctx, const std::string& sdp) = 0;
  // The dialog with this Call-ID ended (a BYE's final answer, a failure of
  // its INVITE, the far daemon gone); `only_early`: only when it was never
  // confirmed (a failed fork or re-INVITE leaves a confirmed call alone).
  virtual void dialog_ended(const std::string& /*call_id*/, bool /*only_early*/) {}
};

class identity_sdp_rewriter final : public sdp_rewriter {
 public:
  std::optional<std::string> rewrite(const sdp_context&, const std::string& sdp) override {
    return sdp;
  }
};

}  // namespace p2psip::sip
