#include "bootstrap/link_dialler.hpp"

namespace p2psip::bootstrap {

void link_dialler::dial_address(const peer_address& where, identified_handler identified) {
  boost::system::error_code ec;
  boost::asio::ip::tcp::resolver resolver(io_);
  const auto resolved = resolver.resolve(where.host, std::to_string(where.port), ec);
  if (ec || resolved.empty()) {
    identified(std::nullopt, "cannot resolve: " + ec.message());
    return;
  }
  transport_.dial_address(resolved.begin()->endpoint(),
                          [identified = std::move(identified)](std::optional<wire::node_id> peer) {
                            identified(peer, peer ? "" : "no TLS peer answered");
                          });
}

}  // namespace p2psip::bootstrap
