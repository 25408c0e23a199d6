#include "link/identity_authenticator.hpp"

#include <algorithm>

namespace p2psip::link {
namespace {
std::string describe(const std::vector<wire::node_id>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id.hex();
  return out;
}
}  // namespace

identity_authenticator::identity_authenticator(const identity::certificate_verifier& verifier,
                                               wall_clock_source clock)
    : verifier_(verifier), clock_(std::move(clock)) {}

authentication_result identity_authenticator::authenticate(
    const peer_certificates& peer, const std::optional<wire::node_id>& expected_peer) const {
  auto verified = verifier_.verify_peer(&peer.leaf, peer.chain, clock_());
  if (!verified) return authentication_failure{verified.error().describe()};
  // Non-empty: the verifier refuses a certificate with no Node-ID for this overlay.
  auto& ids = verified->node_ids;
  if (expected_peer && std::find(ids.begin(), ids.end(), *expected_peer) == ids.end()) {
    return authentication_failure{"peer certificate does not carry the expected Node-ID " +
                                  expected_peer->hex() + " (it carries " + describe(ids) + ")"};
  }
  return authenticated_peer{std::move(ids)};
}

}  // namespace p2psip::link
