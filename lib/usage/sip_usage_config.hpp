// The SIP usage's settings: the sip section of p2psipd.yaml(5).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace p2psip::usage {

inline constexpr std::uint16_t default_sip_port = 5060;

enum class sip_auth_mode { automatic, always, never };

struct sip_config {
  bool enabled = true;
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = default_sip_port;  // 0: ephemeral
  bool udp = true;
  bool tcp = true;
  // Who may register: these AORs ("alice@office.example"), or with none any
  // user@domain of `domains` (none: any domain).
  std::vector<std::string> users;
  std::vector<std::string> domains;
  sip_auth_mode auth = sip_auth_mode::automatic;
  std::optional<std::filesystem::path> auth_file;  // sofia auth_module users file
  std::string realm;                               // empty: the overlay name
  // How long a MESSAGE for a recipient with no reachable contact is kept in
  // the overlay (sip_inbox.hpp); 0: such MESSAGEs fail instead.
  std::chrono::seconds offline_lifetime{std::chrono::hours(24 * 7)};
  friend bool operator==(const sip_config&, const sip_config&) = default;
};

}  // namespace p2psip::usage
