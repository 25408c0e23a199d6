// Plug-in point for media anchoring: every SDP body that the
// front forwards passes through an sdp_rewriter. The default is the identity,
// so today SDP travels untouched. Called on the sip (su_root) thread.
#pragma once

#include <string>

namespace p2psip::sip {

enum class sdp_direction { toward_callee, toward_caller };

struct sdp_context {
  std::string call_id;
  sdp_direction direction = sdp_direction::toward_callee;
  bool remote_leg = false;  // the next hop is another daemon
};

class sdp_rewriter {
 public:
  virtual ~sdp_rewriter() = default;
  // Returns the body to forward. Must not throw.
  virtual std::string rewrite(const sdp_context& ctx, const std::string& sdp) = 0;
};

class identity_sdp_rewriter final : public sdp_rewriter {
 public:
  std::string rewrite(const sdp_context&, const std::string& sdp) override { return sdp; }
};

}  // namespace p2psip::sip
