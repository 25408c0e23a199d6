// DNS SRV records (RFC 2782) for the §11.2 configuration server lookup:
// "_reload-config._tcp." followed by the overlay name. Uses the C library's
// resolver (res_nquery, with a state of its own, so it is thread-safe) and
// reads /etc/resolv.conf at each lookup, as `ip netns exec` arranges it.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "wire/basic_result.hpp"

namespace p2psip::daemon {

struct srv_record {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // without the trailing dot; "." (service refused) is dropped
  bool operator==(const srv_record&) const = default;
};

// Why a lookup found nothing usable, in words for the operator.
struct srv_error {
  bool no_records = false;  // the name or its SRV records do not exist
  std::string reason;
};

template <class T>
using srv_result = wire::basic_result<T, srv_error>;

// The SRV records of `name` (no trailing dot), unordered.
srv_result<std::vector<srv_record>> lookup_srv(const std::string& name);

// The SRV records of a DNS answer message for `name`; what is not an SRV
// record in the answer section is skipped.
srv_result<std::vector<srv_record>> parse_srv_answer(std::span<const std::uint8_t> message);

// RFC 2782's order of trying: lowest priority first, and within one
// priority a weighted random pick each time (weight 0 rarely first).
std::vector<srv_record> srv_try_order(std::vector<srv_record> records, std::mt19937_64& random);

}  // namespace p2psip::daemon
