#include "daemon/srv_lookup.hpp"

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <numeric>

namespace p2psip::daemon {

srv_result<std::vector<srv_record>> parse_srv_answer(std::span<const std::uint8_t> message) {
  ns_msg parsed{};
  if (ns_initparse(message.data(), static_cast<int>(message.size()), &parsed) != 0) {
    return srv_error{false, "the DNS answer does not parse"};
  }
  std::vector<srv_record> out;
  const int count = ns_msg_count(parsed, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr{};
    if (ns_parserr(&parsed, ns_s_an, i, &rr) != 0) {
      return srv_error{false, "a DNS answer record does not parse"};
    }
    if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in) continue;
    const std::uint8_t* data = ns_rr_rdata(rr);
    if (ns_rr_rdlen(rr) < 7) return srv_error{false, "an SRV record is too short"};
    srv_record record;
    record.priority = ns_get16(data);
    record.weight = ns_get16(data + 2);
    record.port = ns_get16(data + 4);
    std::array<char, NS_MAXDNAME> target{};
    if (ns_name_uncompress(ns_msg_base(parsed), ns_msg_end(parsed), data + 6, target.data(),
                           target.size()) < 0) {
      return srv_error{false, "an SRV target does not parse"};
    }
    record.target = target.data();
    // RFC 2782: a target of "." means the service is decidedly not there.
    if (record.target.empty() || record.target == ".") continue;
    out.push_back(std::move(record));
  }
  if (out.empty()) return srv_error{true, "no SRV record"};
  return out;
}

srv_result<std::vector<srv_record>> lookup_srv(const std::string& name) {
  struct __res_state state {};
  if (res_ninit(&state) != 0) return srv_error{false, "the resolver cannot start"};
  std::array<std::uint8_t, NS_MAXMSG> answer{};
  const int size =
      res_nquery(&state, name.c_str(), ns_c_in, ns_t_srv, answer.data(), answer.size());
  const int failure = state.res_h_errno;
  res_nclose(&state);
  if (size < 0) {
    switch (failure) {
      case HOST_NOT_FOUND: return srv_error{true, "no such name"};
      case NO_DATA: return srv_error{true, "no SRV record"};
      case TRY_AGAIN: return srv_error{false, "no DNS server answered"};
      default: return srv_error{false, "the DNS server refused or failed"};
    }
  }
  return parse_srv_answer(std::span(answer.data(), static_cast<std::size_t>(size)));
}

std::vector<srv_record> srv_try_order(std::vector<srv_record> records, std::mt19937_64& random) {
  std::stable_sort(records.begin(), records.end(), [](const srv_record& a, const srv_record& b) {
    return a.priority < b.priority;
  });
  std::vector<srv_record> out;
  auto first = records.begin();
  while (first != records.end()) {
    auto last = std::find_if(first, records.end(),
                             [&](const srv_record& r) { return r.priority != first->priority; });
    // RFC 2782: zero weights first, then pick by a running sum of weights.
    std::stable_partition(first, last, [](const srv_record& r) { return r.weight == 0; });
    std::vector<srv_record> group(first, last);
    while (!group.empty()) {
      const auto total =
          std::accumulate(group.begin(), group.end(), std::uint64_t{0},
                          [](std::uint64_t sum, const srv_record& r) { return sum + r.weight; });
      const auto pick = std::uniform_int_distribution<std::uint64_t>(0, total)(random);
      std::uint64_t running = 0;
      auto chosen = group.begin();
      for (; chosen != group.end(); ++chosen) {
        running += chosen->weight;
        if (running >= pick) break;
      }
      if (chosen == group.end()) chosen = std::prev(group.end());
      out.push_back(std::move(*chosen));
      group.erase(chosen);
    }
    first = last;
  }
  return out;
}

}  // namespace p2psip::daemon
