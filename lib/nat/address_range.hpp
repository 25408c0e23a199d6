// An IPv4 or IPv6 CIDR block, for the relay's allow and deny lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace p2psip::nat {

class address_range {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.1" is a /32);
  // nothing for anything else, host bits included.
  static std::optional<address_range> parse(std::string_view text);

  bool contains(const boost::asio::ip::address& address) const noexcept;
  std::string to_string() const;

 private:
  address_range(boost::asio::ip::address network, unsigned prefix)
      : network_(network), prefix_(prefix) {}

  boost::asio::ip::address network_;
  unsigned prefix_;
};

}  // namespace p2psip::nat
