#include "bootstrap/network_interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <optional>

namespace p2psip::bootstrap {
namespace {

namespace ip = boost::asio::ip;

struct ifaddrs_list {
  ifaddrs* head = nullptr;
  ifaddrs_list() {
    if (::getifaddrs(&head) != 0) head = nullptr;
  }
  ~ifaddrs_list() {
    if (head != nullptr) ::freeifaddrs(head);
  }
  ifaddrs_list(const ifaddrs_list&) = delete;
  ifaddrs_list& operator=(const ifaddrs_list&) = delete;
};

std::optional<ip::address_v4> ipv4_of(const ifaddrs& entry) {
  if (entry.ifa_addr == nullptr || entry.ifa_addr->sa_family != AF_INET) return std::nullopt;
  const auto* in = reinterpret_cast<const sockaddr_in*>(entry.ifa_addr);
  return ip::address_v4(ntohl(in->sin_addr.s_addr));
}

}  // namespace

std::vector<network_interface> discovery_interfaces(const std::string& wanted) {
  boost::system::error_code ec;
  const auto wanted_address = ip::make_address_v4(wanted, ec);
  const bool by_address = !wanted.empty() && !ec;
  constexpr unsigned usable = IFF_UP | IFF_RUNNING | IFF_MULTICAST;

  std::vector<network_interface> found;
  const ifaddrs_list list;
  for (const ifaddrs* i = list.head; i != nullptr; i = i->ifa_next) {
    const auto address = ipv4_of(*i);
    if (!address || i->ifa_name == nullptr) continue;
    const std::string name = i->ifa_name;
    if (by_address) {
      if (*address != wanted_address) continue;
    } else if (!wanted.empty()) {
      if (name != wanted) continue;
    } else if ((i->ifa_flags & usable) != usable || (i->ifa_flags & IFF_LOOPBACK) != 0) {
      continue;
    }
    const bool seen = std::any_of(found.begin(), found.end(),
                                  [&](const network_interface& f) { return f.name == name; });
    if (seen) continue;
    const unsigned index = ::if_nametoindex(name.c_str());
    if (index != 0) found.push_back({name, index, *address});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return found;
}

}  // namespace p2psip::bootstrap
