#include "daemon/media_wiring.hpp"

#include <boost/asio/ip/address.hpp>

namespace p2psip::daemon {

namespace json = boost::json;

namespace {

json::object direction_json(const media::rtp_stats_snapshot& s) {
  return {{"packets", s.packets}, {"bytes", s.bytes},       {"rtcp_packets", s.rtcp_packets},
          {"lost", s.lost},       {"expected", s.expected}, {"jitter_ms", s.jitter_ms}};
}

json::object candidate_json(const nat::ice_candidate& c) {
  return {{"type", nat::to_string(c.type)},
          {"address", c.address.address().to_string() + ":" + std::to_string(c.address.port())}};
}

}  // namespace

media::media_anchor_config media_anchor_config_of(const daemon_config& config) {
  const auto& m = config.media;
  media::media_anchor_config out;
  out.mode = m.anchor == media_anchor_mode::always ? media::anchor_mode::always
             : m.anchor == media_anchor_mode::nat  ? media::anchor_mode::nat
                                                   : media::anchor_mode::never;
  std::string address = m.address;
  if (address.empty()) {
    const auto sip = boost::asio::ip::make_address(config.sip.listen_address);
    address = sip.is_unspecified() ? "127.0.0.1" : config.sip.listen_address;
  }
  out.phone_address = boost::asio::ip::make_address(address);
  out.port_min = m.port_min;
  out.port_max = m.port_max;
  out.inactivity = m.inactivity;
  return out;
}

json::object calls_media_json(const std::vector<media::call_report>& calls) {
  json::object out;
  for (const auto& call : calls) {
    json::array streams;
    for (const auto& s : call.streams) {
      json::object item{{"m_line", s.index},
                        {"type", s.type},
                        {"phone_port", s.phone_port},
                        {"srtp", s.srtp},
                        {"path", s.path_failed ? "failed"
                                 : s.pair      ? "ready"
                                               : "checking"},
                        {"from_phone", direction_json(s.from_phone)},
                        {"from_far", direction_json(s.from_far)},
                        {"srtp_refused", s.srtp_refused},
                        {"not_sent", s.not_sent},
                        {"phone_direction", media::to_string(s.phone_direction)},
                        {"far_direction", media::to_string(s.far_direction)}};
      if (s.pair) {
        item["local"] = candidate_json(s.pair->local);
        item["remote"] = candidate_json(s.pair->remote);
        const auto& relay = s.pair->relay_server;
        item["relay"] =
            relay ? json::value(relay->address().to_string() + ":" + std::to_string(relay->port()))
                  : json::value(nullptr);
      }
      streams.push_back(std::move(item));
    }
    out[call.call_id] = std::move(streams);
  }
  return out;
}

}  // namespace p2psip::daemon
